//go:build unix

package sdk

import "syscall"

// openFlags opens without blocking: opening a FIFO for reading otherwise
// waits for a writer, forever if none comes.
const openFlags = syscall.O_NONBLOCK
