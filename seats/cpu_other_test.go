//go:build !unix

package seats

import "time"

// cpuTime is unknown here: BenchmarkLeases reports no CPU ratio.
func cpuTime() time.Duration { return 0 }
