//go:build !unix

package sdk

// openFlags: only unix systems block when opening a FIFO for reading.
const openFlags = 0
