package sdk

import "time"

// WithLeaseTick returns c with the longest sleep of the lease loop set to
// d, so that a test moving a fake clock sees the loop act at once.
func WithLeaseTick(c Config, d time.Duration) Config {
	c.leaseTick = d
	return c
}
