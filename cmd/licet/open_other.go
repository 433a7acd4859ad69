//go:build !unix

package main

// openNonBlock: only unix systems block when opening a FIFO.
const openNonBlock = 0
