//go:build !unix

package seats

import "os"

// lockFile does nothing where flock is missing: one server per state
// directory is then the operator's care.
func lockFile(f *os.File) error { return nil }
