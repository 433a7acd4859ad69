//go:build unix

package seats

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive, non-blocking lock on f, held until it is
// closed: one server per state directory.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}
