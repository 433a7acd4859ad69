//go:build !race

package verify_test

// raceEnabled: the race detector changes allocation counts, so
// allocation bounds are checked only without it.
const raceEnabled = false
