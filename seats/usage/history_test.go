package usage

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
)

// TestHonestReports: three reports, each since the last, are accepted in
// order; the history then holds the whole log, and its statement is the
// statement of the log's records.
func TestHonestReports(t *testing.T) {
	w := newWorld(t)
	h := w.history()
	var prev []byte
	for i := range 3 {
		w.activity(2)
		data := w.report(prev)
		a, err := h.Add(data, "r"+string(rune('1'+i)))
		if err != nil {
			t.Fatalf("report %d: %v", i+1, err)
		}
		if a.Start != int64(i*5) || a.Checkpoint.Size != int64(i*5+5) || len(a.Events) != 5 {
			t.Errorf("report %d: records %d to %d, %d events", i+1, a.Start, a.Checkpoint.Size, len(a.Events))
		}
		prev = data
	}
	l, err := seats.ReadLog(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size() != l.Len() {
		t.Fatalf("the history holds %d records, the log %d", h.Size(), l.Len())
	}
	s := h.Statement(Options{})
	// (The test world does not hold the server's limit: 4 at once.)
	if s.Total.Leases != 6 || s.Total.Refusals != 3 || s.Total.Peak != 4 || s.Records != 15 || s.OverDays != 1 {
		t.Errorf("statement total %+v over %d records", s.Total, s.Records)
	}
	// Nothing new since the last report: accepted, nothing added.
	a, err := h.Add(w.report(prev), "r4")
	if err != nil || len(a.Events) != 0 {
		t.Errorf("a report with nothing new: %v", err)
	}
}

// twoReports returns a world with two reports made, and a history that
// accepted the first.
func twoReports(t *testing.T) (*world, *History, []byte, []byte) {
	w := newWorld(t)
	w.activity(2)
	r1 := w.report(nil)
	w.activity(2)
	r2 := w.report(r1)
	h := w.history()
	if _, err := h.Add(r1, "r1"); err != nil {
		t.Fatal(err)
	}
	return w, h, r1, r2
}

// TestRecordEdited: a record changed after the checkpoint was signed.
func TestRecordEdited(t *testing.T) {
	_, h, _, r2 := twoReports(t)
	bad := edit(t, r2, func(r *Report) {
		r.Records[1] = bytes.Replace(r.Records[1], []byte(`"in_use":0`), []byte(`"in_use":1`), 1)
		r.Records[3] = bytes.Replace(r.Records[3], []byte(`"event":"refused"`), []byte(`"event":"started"`), 1)
	})
	_, err := h.Add(bad, "bad")
	wantCode(t, err, CodeTampered)
	if h.Size() != 5 {
		t.Errorf("the history holds %d records after a refusal, want 5", h.Size())
	}
}

// TestRecordDropped: a record left out (the refusal: less demand shown).
func TestRecordDropped(t *testing.T) {
	_, h, _, r2 := twoReports(t)
	bad := edit(t, r2, func(r *Report) { r.Records = append(r.Records[:3], r.Records[4:]...) })
	_, err := h.Add(bad, "bad")
	wantCode(t, err, CodeDropped)
}

// TestRecordsReordered: two records swapped.
func TestRecordsReordered(t *testing.T) {
	_, h, _, r2 := twoReports(t)
	bad := edit(t, r2, func(r *Report) { r.Records[0], r.Records[2] = r.Records[2], r.Records[0] })
	_, err := h.Add(bad, "bad")
	wantCode(t, err, CodeReordered)
}

// TestProofAltered: the records are right, the proof is not.
func TestProofAltered(t *testing.T) {
	_, h, _, r2 := twoReports(t)
	bad := edit(t, r2, func(r *Report) { r.Proof[0] = strings.Repeat("A", 43) + "=" })
	_, err := h.Add(bad, "bad")
	wantCode(t, err, CodeTampered)
}

// TestCheckpointAltered: the signed checkpoint changed (its size), or
// signed by another key.
func TestCheckpointAltered(t *testing.T) {
	w, h, _, r2 := twoReports(t)
	bad := edit(t, r2, func(r *Report) { r.Checkpoint = strings.Replace(r.Checkpoint, "\n10\n", "\n9\n", 1) })
	_, err := h.Add(bad, "bad")
	wantCode(t, err, CodeTampered)

	other, err := checkpoint.NewSigner(Origin(w.grantID), key(9))
	if err != nil {
		t.Fatal(err)
	}
	l, err := seats.ReadLog(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	note, err := checkpoint.Sign(l.Head().Checkpoint, other)
	if err != nil {
		t.Fatal(err)
	}
	bad = edit(t, r2, func(r *Report) { r.Checkpoint = string(note) })
	_, err = h.Add(bad, "bad")
	wantCode(t, err, CodeWrongKey)
}

// TestReplayed: a report accepted already, again.
func TestReplayed(t *testing.T) {
	_, h, r1, r2 := twoReports(t)
	if _, err := h.Add(r2, "r2"); err != nil {
		t.Fatal(err)
	}
	_, err := h.Add(r1, "r1 again")
	wantCode(t, err, CodeReplayed)
	_, err = h.Add(r2, "r2 again")
	wantCode(t, err, CodeReplayed)
}

// TestGap: the second report before the first.
func TestGap(t *testing.T) {
	w := newWorld(t)
	w.activity(2)
	r1 := w.report(nil)
	w.activity(2)
	r2 := w.report(r1)
	_, err := w.history().Add(r2, "r2")
	wantCode(t, err, CodeDropped)
}

// TestRolledBack: the site restores its state directory from a backup
// taken between two reports, and reports its whole log: fewer records
// than the vendor accepted, under a checkpoint the vendor never saw. A
// backup taken at a report gives that report's checkpoint again: a
// replay.
func TestRolledBack(t *testing.T) {
	w := newWorld(t)
	w.activity(2)
	r1 := w.report(nil)
	atR1 := w.copyState()
	w.activity(2)
	backup := w.copyState()
	w.activity(2)
	r2 := w.report(r1)
	h := w.history()
	for _, r := range [][]byte{r1, r2} {
		if _, err := h.Add(r, "r"); err != nil {
			t.Fatal(err)
		}
	}
	w.dir = backup
	old := w.report(nil) // the whole (rolled-back) log: 10 records
	_, err := h.Add(old, "old")
	wantCode(t, err, CodeRolledBack)
	w.dir = atR1
	_, err = h.Add(w.report(nil), "at r1")
	wantCode(t, err, CodeReplayed)
	// Since its last report, the rolled-back site cannot even make one.
	l, err := seats.ReadLog(backup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(l, CreateOptions{Since: r2}); err == nil || !strings.Contains(err.Error(), "rolled back") {
		t.Errorf("a report since a report beyond the log: %v", err)
	}
}

// TestFork: the site rolls its state back and carries on, or rewrites a
// record and signs again: the next report does not extend the last one
// accepted. It is refused as inconsistent and both signed checkpoints are
// kept as evidence.
func TestFork(t *testing.T) {
	w := newWorld(t)
	w.activity(2)
	r1 := w.report(nil)
	backup := w.copyState()
	w.activity(2)
	h := w.history()
	h.EvidenceDir = t.TempDir()
	r2 := w.report(r1)
	if _, err := h.Add(r1, "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Add(r2, "r2"); err != nil {
		t.Fatal(err)
	}
	// The backup carries on with other records, past the 10 accepted.
	l, err := seats.ReadLog(backup)
	if err != nil {
		t.Fatal(err)
	}
	w.openLog(backup, l)
	w.activity(1)
	w.activity(1)
	w.activity(1)
	// Its whole log, from record 0: records 5 to 9 differ from those
	// accepted.
	whole := w.report(nil)
	_, err = h.Add(whole, "whole")
	wantCode(t, err, CodeInconsistent)
	// The same with a record edited: not what the site signed, not
	// evidence of a fork.
	_, err = h.Add(edit(t, whole, func(r *Report) {
		r.Records[6] = bytes.Replace(r.Records[6], []byte(`"in_use":`), []byte(`"in_use":1`), 1)
	}), "edited")
	wantCode(t, err, CodeTampered)
	// Its records after the 10 accepted, with the proof of its own tree.
	fl, err := seats.ReadLog(backup)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := fl.ConsistencyProof(10, fl.Len())
	if err != nil {
		t.Fatal(err)
	}
	forked := edit(t, whole, func(r *Report) {
		r.Start, r.Records, r.Proof = 10, r.Records[10:], nil
		for _, p := range proof {
			r.Proof = append(r.Proof, p.String())
		}
	})
	_, err = h.Add(forked, "forked")
	wantCode(t, err, CodeInconsistent)
	var e *Error
	if !errors.As(err, &e) || e.Evidence == "" {
		t.Fatalf("no evidence kept: %v", err)
	}
	if fi, err := os.Stat(e.Evidence); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the evidence file: %v %v", fi, err)
	}
	data, err := os.ReadFile(e.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	var ev Evidence
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	site := w.site.Public().(ed25519.PublicKey)
	for _, n := range []EvidenceNote{ev.Earlier, ev.Later} {
		if _, err := checkpoint.Open([]byte(n.Note), Origin(w.grantID), site, MaxCheckpointSize); err != nil {
			t.Errorf("evidence note of %d records: %v", n.Size, err)
		}
	}
	if ev.Earlier.Size != 10 || ev.Later.Size != 17 || ev.Later.Source != "forked" {
		t.Errorf("evidence of checkpoints of %d and %d records (%s), want 10 and 17", ev.Earlier.Size, ev.Later.Size, ev.Later.Source)
	}
	if h.Size() != 10 {
		t.Errorf("the history holds %d records after the refusals, want 10", h.Size())
	}
}

// TestForgedLease: the site signs, in its own log, leases the vendor's
// grant does not allow: for another product, longer than the longest
// lease, for a machine other than the record's, or with a key that is not
// the grant's. The log is consistent, the leases are not.
func TestForgedLease(t *testing.T) {
	for _, c := range []struct {
		name  string
		forge func(w *world)
		want  string
	}{
		{"another product", func(w *world) { w.grantLease("gizmo") }, `product "gizmo" is not in the grant`},
		{"too long", func(w *world) {
			w.event(seats.EventBorrowed, "00000000000000000000000000000063", "widget", 8*24*time.Hour)
		}, "longer than the site grant allows"},
		{"a borrow's length without a borrow", func(w *world) {
			w.event(seats.EventGranted, "00000000000000000000000000000066", "widget", 3*time.Hour)
		}, "longer than the grant's longest lease"},
		{"another machine", func(w *world) {
			r := w.event(seats.EventGranted, "00000000000000000000000000000064", "widget", time.Hour)
			w.batch[len(w.batch)-1].Token = w.lease(r.Lease, "widget", "beef", r.At, r.Expires, r.Seq, false)
		}, `bound to the machine "beef", not the record's "f00d"`},
		{"another key", func(w *world) {
			w.signLeasesWith = key(7)
			w.grantLease("widget")
		}, "does not verify under the site grant"},
		{"a grant logged as a borrow", func(w *world) {
			r := w.event(seats.EventBorrowed, "00000000000000000000000000000067", "widget", time.Hour)
			w.batch[len(w.batch)-1].Token = w.lease(r.Lease, "widget", "f00d", r.At, r.Expires, r.Seq, false)
		}, "the record says borrowed, the lease is not marked as a borrow"},
		{"another record's token", func(w *world) {
			r := w.event(seats.EventGranted, "00000000000000000000000000000065", "widget", time.Hour)
			w.batch[len(w.batch)-1].Token = w.lease(r.Lease, "widget", "f00d", r.At, r.Expires, r.Seq-1, false)
		}, "granted by record"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			w.activity(1)
			c.forge(w)
			w.commit()
			_, err := w.history().Add(w.report(nil), "forged")
			wantCode(t, err, CodeOutsideGrant)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q lacks %q", err, c.want)
			}
		})
	}
}

// TestOtherGrant: a report of one site given with another site's grant.
func TestOtherGrant(t *testing.T) {
	w := newWorld(t)
	w.activity(1)
	other, err := NewHistory(w.vendorKey(), w.signGrant(w.vendor, w.site.Public().(ed25519.PublicKey), 5))
	if err != nil {
		t.Fatal(err)
	}
	_, err = other.Add(w.report(nil), "r")
	wantCode(t, err, CodeOtherGrant)
}

// TestNewHistoryRefuses: a grant not signed by the vendor, a grant
// without a site claim.
func TestNewHistoryRefuses(t *testing.T) {
	w := newWorld(t)
	if _, err := NewHistory(w.vendorKey(), w.signGrant(key(8), w.site.Public().(ed25519.PublicKey), 2)); err == nil || !strings.Contains(err.Error(), "does not verify under the vendor key") {
		t.Errorf("a grant by another key: %v", err)
	}
	id, _ := token.NewID(nil)
	plain, err := token.SignGrant(w.vendor, &token.Grant{Issuer: "acme", Subject: "plant-1", Audience: []string{"widget"}, Tiers: []string{"pro"},
		IssuedAt: T0, Expiry: T0.Add(time.Hour), ID: id, Key: w.site.Public().(ed25519.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewHistory(w.vendorKey(), plain); err == nil || !strings.Contains(err.Error(), "not a site grant") {
		t.Errorf("a grant without a site claim: %v", err)
	}
}

// TestParseReport: what is not a usage report.
func TestParseReport(t *testing.T) {
	w := newWorld(t)
	w.activity(1)
	good := w.report(nil)
	for name, bad := range map[string][]byte{
		"not json":       []byte("hello"),
		"unknown member": bytes.Replace(good, []byte(`"start"`), []byte(`"extra": 1, "start"`), 1),
		"version":        bytes.Replace(good, []byte(`"licet_seat_usage": 1`), []byte(`"licet_seat_usage": 2`), 1),
		"two objects":    append(append([]byte{}, good...), good...),
	} {
		_, err := w.history().Add(bad, name)
		wantCode(t, err, CodeMalformed)
	}
}

// TestCombined: the histories of two sub-grants of a site make one
// statement; the same grant twice, or grants of two vendors, do not.
func TestCombined(t *testing.T) {
	w1, w2 := newWorld(t), newWorld(t)
	w1.activity(2)
	w2.activity(1)
	h1, h2 := w1.history(), w2.history()
	for _, c := range []struct {
		h *History
		w *world
	}{{h1, w1}, {h2, w2}} {
		if _, err := c.h.Add(c.w.report(nil), "r"); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Combined([]*History{h1, h2}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Seats != 4 || s.Site.Site != "plant-1" || s.GrantID != h1.GrantID+", "+h2.GrantID || s.Total.Leases != 3 || s.Records != 9 {
		t.Errorf("combined: %+v, total %+v", s.Site, s.Total)
	}
	if _, err := Combined([]*History{h1, h1}, Options{}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("the same grant twice: %v", err)
	}
	h2.Grant.Issuer = "initech"
	if _, err := Combined([]*History{h1, h2}, Options{}); err == nil || !strings.Contains(err.Error(), "one vendor's grants") {
		t.Errorf("grants of two vendors: %v", err)
	}
	if _, err := Combined(nil, Options{}); err == nil {
		t.Error("no grant: no error")
	}
}
