package issue

import "time"

// SetSettleMin sets the least time p's sequencer waits for requests
// being prepared (tests).
func SetSettleMin(p *Pool, d time.Duration) { p.settleMin = d }
