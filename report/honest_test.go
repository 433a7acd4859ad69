package report_test

import (
	"testing"
	"time"

	"github.com/licet/licet/internal/reporttest"
	"github.com/licet/licet/report"
)

const day = 24 * time.Hour

// TestIngestListsLateLicenses: a license issued before the partner's
// previous report (left out of it, or backdated) is stored, and listed in
// Ingested.Late with the time of that previous report; nothing is late in
// a first report. (Package royalty's TestLateLicenses shows where a
// statement counts it.)
func TestIngestListsLateLicenses(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := reporttest.LateWorld(t, keySeed, b.Location(t))
			if w.Head().N != 3 {
				t.Errorf("the vendor's mirror holds %d entries, want 3: late licenses are stored", w.Head().N)
			}
		})
	}
}

// TestLate is the rule itself.
func TestLate(t *testing.T) {
	prev := time.Date(2026, 10, 8, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		iat, previous time.Time
		late          bool
	}{
		{prev.Add(-time.Second), prev, true},
		{prev, prev, false},
		{prev.Add(time.Hour), prev, false},
		{prev.Add(-365 * day), time.Time{}, false}, // a first report
	} {
		if got := report.Late(c.iat, c.previous); got != c.late {
			t.Errorf("Late(%s, %s) = %v", c.iat, c.previous, got)
		}
	}
}
