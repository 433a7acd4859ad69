package usage

import (
	"testing"
)

// FuzzAdd: whatever a report file holds, History.Add refuses it or
// accepts it, never panics; a statement of what it accepted builds.
func FuzzAdd(f *testing.F) {
	w := newWorld(&testing.T{})
	w.activity(2)
	r1 := w.report(nil)
	w.activity(1)
	f.Add(r1, w.report(r1))
	f.Add([]byte(`{"licet_seat_usage":1}`), []byte("{}"))
	vendor, grant := w.vendorKey(), w.grant
	f.Fuzz(func(t *testing.T, a, b []byte) {
		h, err := NewHistory(vendor, grant)
		if err != nil {
			t.Fatal(err)
		}
		h.Add(a, "a")
		h.Add(b, "b")
		h.Statement(Options{})
	})
}

// FuzzParseEvent: a record's bytes parse or are refused, never panic,
// and what parses builds a statement.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"seq":1,"at":"2026-12-07T10:00:00.000Z","event":"granted","lease":"ab","product":"w","expires":"2026-12-07T11:00:00Z","token":"t","in_use":1}`))
	f.Add([]byte(`{"seq":2,"at":"2026-12-07T10:00:00.000Z","event":"refused","reason":"seats_full","in_use":2}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := ParseEvent(raw)
		if err != nil {
			return
		}
		Build(Site{Seats: 1}, []*Event{e}, Options{})
	})
}
