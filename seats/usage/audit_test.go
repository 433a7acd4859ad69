package usage

import (
	"testing"
	"time"

	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
)

// TestAudit: leases seen in the field against the reports: one the log
// holds, one beyond the reports, one the site key signed off the log
// (naming a record that holds another lease, or none), one by another
// key.
func TestAudit(t *testing.T) {
	w := newWorld(t)
	w.activity(2)
	h := w.history()
	if _, err := h.Add(w.report(nil), "r1"); err != nil {
		t.Fatal(err)
	}
	l, err := seats.ReadLog(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	reported := l.Records[1].Token
	at, exp := w.clock, w.clock.Add(time.Hour)
	later := w.lease("000000000000000000000000000000aa", "widget", "f00d", at, exp, 99, false)
	forged := w.lease("000000000000000000000000000000bb", "widget", "f00d", at, exp, 1, false)
	forgedNoSeq := w.lease("000000000000000000000000000000cc", "widget", "f00d", at, exp, 0, false)
	w.signLeasesWith = key(7)
	otherKey := w.lease("000000000000000000000000000000dd", "widget", "f00d", at, exp, 1, false)
	for _, c := range []struct {
		name, lease, outcome string
		seq                  int64
	}{
		{"reported", reported, AuditReported, 1},
		{"beyond the reports", later, AuditUnreported, 99},
		{"off the log", forged, AuditOffBooks, 1},
		{"another key", otherKey, AuditInvalid, -1},
		{"not a token", "hello", AuditInvalid, -1},
	} {
		got := h.Audit([]byte(c.lease))
		if got.Outcome != c.outcome || got.SiteSeq != c.seq {
			t.Errorf("%s: %+v, want %s at %d", c.name, got, c.outcome, c.seq)
		}
	}
	// Record 0 granted another lease.
	if got := h.Audit([]byte(forgedNoSeq)); got.Outcome != AuditOffBooks || got.SiteSeq != 0 {
		t.Errorf("a lease naming another lease's record: %+v", got)
	}
	// A lease without a site_seq was never handed out by the server.
	raw, err := token.SignLicense(w.site, &token.License{Issuer: "plant-1", Subject: "plant-1", Audience: []string{"widget"}, Tier: "pro",
		IssuedAt: at.Truncate(time.Second), Expiry: exp, ID: make([]byte, 16), Bind: map[string]string{"host": "f00d"}}, w.grant)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Audit(raw); got.Outcome != AuditOffBooks || got.SiteSeq != -1 {
		t.Errorf("a lease without site_seq: %+v", got)
	}
}
