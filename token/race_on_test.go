//go:build race

package token

// raceEnabled: the race detector drops sync.Pool entries at random, so
// allocation counts vary.
const raceEnabled = true
