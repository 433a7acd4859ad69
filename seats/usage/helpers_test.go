package usage

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/seats"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// T0 is when the site's world starts.
var T0 = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

// world is a vendor, a site with a site grant for 2 seats and its lease
// log in a state directory, written with package seats.
type world struct {
	t              *testing.T
	vendor, site   ed25519.PrivateKey
	grant          []byte
	grantID        string
	dir            string
	w              *seats.Writer
	batch          []seats.Record
	clock          time.Time
	leases         int
	signLeasesWith ed25519.PrivateKey // the key that signs leases (the site's)
}

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, vendor: key(1), site: key(2), dir: t.TempDir(), clock: T0}
	w.signLeasesWith = w.site
	w.grant = w.signGrant(w.vendor, w.site.Public().(ed25519.PublicKey), 2)
	w.grantID = idOf(t, w.grant)
	w.openLog(w.dir, nil)
	return w
}

func (w *world) vendorKey() verify.Key {
	return verify.Key{PublicKey: w.vendor.Public().(ed25519.PublicKey), Issuer: "acme"}
}

func idOf(t *testing.T, raw []byte) string {
	m, err := token.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	g, err := token.DecodeGrant(m.Payload)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(g.ID)
}

func (w *world) signGrant(vendor ed25519.PrivateKey, site ed25519.PublicKey, seats uint64) []byte {
	w.t.Helper()
	id, _ := token.NewID(nil)
	lease := time.Hour
	g := &token.Grant{Issuer: "acme", Subject: "plant-1", Audience: []string{"widget", "gadget"}, Tiers: []string{"pro"}, Scopes: []string{},
		IssuedAt: T0.Add(-24 * time.Hour), Expiry: T0.Add(365 * 24 * time.Hour), ID: id, Key: site,
		Site: &token.Site{Seats: seats, Lease: lease, Borrow: 7 * 24 * time.Hour, Borrows: 1}}
	raw, err := token.SignGrant(vendor, g)
	if err != nil {
		w.t.Fatal(err)
	}
	return raw
}

// openLog opens the log of dir for appending (l: read back, nil: new).
func (w *world) openLog(dir string, l *seats.Log) {
	w.t.Helper()
	s, err := checkpoint.NewSigner(Origin(w.grantID), w.site)
	if err != nil {
		w.t.Fatal(err)
	}
	if w.w != nil {
		w.w.Close()
	}
	w.dir = dir
	if w.w, err = seats.OpenWriter(dir, l, s, Origin(w.grantID)); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { w.w.Close() })
}

func (w *world) next() int64 { return w.w.Log().Len() + int64(len(w.batch)) }

// lease signs a lease token for a record.
func (w *world) lease(id, product, fp string, at, exp time.Time, seq int64, borrow bool) string {
	w.t.Helper()
	raw, _ := hex.DecodeString(id)
	l := &token.License{Issuer: "plant-1", Subject: "plant-1", Audience: []string{product}, Tier: "pro", IssuedAt: at.Truncate(time.Second),
		Expiry: exp, ID: raw, Bind: map[string]string{"host": fp}, Meta: map[string]string{"site_seq": strconv.FormatInt(seq, 10)}}
	if borrow {
		l.Meta["lease"] = "borrow"
	}
	signed, err := token.SignLicense(w.signLeasesWith, l, w.grant)
	if err != nil {
		w.t.Fatal(err)
	}
	text, err := token.EncodeText(signed, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return text
}

// event adds a record to the batch, a minute after the last one; a
// granted, renewed or borrowed record carries a lease token of length d.
func (w *world) event(event, id, product string, d time.Duration) seats.Record {
	w.clock = w.clock.Add(time.Minute)
	r := seats.Record{Seq: w.next(), At: w.clock, Event: event, Lease: id, Product: product, Fingerprint: "f00d"}
	switch event {
	case seats.EventGranted, seats.EventRenewed, seats.EventBorrowed:
		r.Expires = w.clock.Add(d).Truncate(time.Second)
		r.Token = w.lease(id, product, r.Fingerprint, w.clock, r.Expires, r.Seq, event == seats.EventBorrowed)
	case seats.EventRefused:
		r.Lease, r.Fingerprint, r.Reason = "", "", ReasonSeatsFull
	}
	w.batch = append(w.batch, r)
	return r
}

// grantLease adds a granted record of a new lease and returns its id.
func (w *world) grantLease(product string) string {
	w.leases++
	id := fmt.Sprintf("%032x", w.leases)
	w.event(seats.EventGranted, id, product, time.Hour)
	return id
}

// commit appends the batch with its checkpoint and writes the head.
func (w *world) commit() {
	w.t.Helper()
	sc, err := w.w.Append(w.batch)
	if err != nil {
		w.t.Fatal(err)
	}
	w.batch = nil
	if err := seats.WriteHead(w.dir, sc.Note); err != nil {
		w.t.Fatal(err)
	}
}

// activity adds a few events in two batches: n leases granted, one
// renewed, one released, one refusal.
func (w *world) activity(n int) {
	var ids []string
	for range n {
		ids = append(ids, w.grantLease("widget"))
	}
	w.commit()
	w.event(seats.EventRenewed, ids[0], "widget", time.Hour)
	w.event(seats.EventRefused, "", "widget", 0)
	w.event(seats.EventReleased, ids[len(ids)-1], "widget", 0)
	w.commit()
}

// report makes the usage report of the state directory since prev (nil:
// the whole log).
func (w *world) report(prev []byte) []byte {
	w.t.Helper()
	l, err := seats.ReadLog(w.dir)
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := Create(l, CreateOptions{Since: prev, Now: w.clock})
	if err != nil {
		w.t.Fatal(err)
	}
	data, err := r.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	return data
}

// history returns a new history of the world's grant.
func (w *world) history() *History {
	w.t.Helper()
	h, err := NewHistory(w.vendorKey(), w.grant)
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

// copyState copies the state directory (a backup).
func (w *world) copyState() string {
	w.t.Helper()
	dst := w.t.TempDir()
	for _, name := range []string{seats.LogFile, seats.HeadFile} {
		data, err := os.ReadFile(filepath.Join(w.dir, name))
		if err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o600); err != nil {
			w.t.Fatal(err)
		}
	}
	return dst
}

// edit changes a report: f gets it parsed and returns it changed.
func edit(t *testing.T, data []byte, f func(r *Report)) []byte {
	t.Helper()
	r, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	f(r)
	out, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantCode checks that err is a refusal with code.
func wantCode(t *testing.T, err error, code Code) {
	t.Helper()
	if got := CodeOf(err); got != code {
		t.Fatalf("refusal %q (%v), want %q", got, err, code)
	}
}
