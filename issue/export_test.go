package issue

import "time"

// SetSettleMin sets the least time p's sequencer waits for requests
// being prepared (tests).
func SetSettleMin(p *Pool, d time.Duration) { p.settleMin = d }

// ExpireRotations makes is read its rotation grants again at the next
// license (tests).
func ExpireRotations(is *Issuer) {
	is.rotMu.Lock()
	is.rotationsAt = time.Time{}
	is.rotMu.Unlock()
}

// SetRotationTTL sets how long is trusts the rotation grants it read
// (tests).
func SetRotationTTL(is *Issuer, d time.Duration) {
	is.rotMu.Lock()
	is.rotationTTL = d
	is.rotMu.Unlock()
}
