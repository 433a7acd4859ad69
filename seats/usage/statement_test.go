package usage

import (
	"fmt"
	"testing"
	"time"
)

// t0 is a Monday at 09:00 UTC.
var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// log builds hand-made records in order.
type log struct {
	events []*Event
}

func (l *log) add(at time.Time, event, lease, product string, expires time.Time) {
	l.events = append(l.events, &Event{Seq: int64(len(l.events)), At: at, Event: event, Lease: lease, Product: product, Expires: expires, Token: "x"})
}

func at(h, m int) time.Time { return t0.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }

var site = Site{Vendor: "acme", Site: "plant-1", GrantID: "00112233445566778899aabbccddeeff", Seats: 2}

func day0(t *testing.T, s *Statement, i int) *Day {
	t.Helper()
	if i >= len(s.Days) {
		t.Fatalf("the statement has %d days, want more than %d", len(s.Days), i)
	}
	return s.Days[i]
}

func checkUsage(t *testing.T, what string, got *Usage, want Usage) {
	t.Helper()
	if got == nil {
		got = &Usage{}
	}
	if *got != want {
		t.Errorf("%s: %+v, want %+v (seat-hours %s)", what, *got, want, got.SeatHours())
	}
}

// TestStatementOverlapping: two leases that overlap count two seats at
// the peak; the seat-hours are the sum of both.
func TestStatementOverlapping(t *testing.T) {
	var l log
	l.add(at(0, 0), EventGranted, "a", "widget", at(1, 0))
	l.add(at(0, 30), EventGranted, "b", "widget", at(1, 30))
	l.add(at(0, 20), EventRenewed, "a", "widget", at(1, 20)) // renewal: same lease, later expiry
	l.add(at(1, 20), EventExpired, "a", "widget", at(1, 20))
	l.add(at(1, 30), EventExpired, "b", "widget", at(1, 30))
	s := Build(site, l.events, Options{})
	if len(s.Days) != 1 {
		t.Fatalf("%d days, want 1", len(s.Days))
	}
	d := day0(t, s, 0)
	// a: 09:00-10:20 (80 min), b: 09:30-10:30 (60 min): 140 min.
	checkUsage(t, "the day", &d.Usage, Usage{Peak: 2, SeatSeconds: 140 * 60, Leases: 2})
	checkUsage(t, "widget", d.ByProduct["widget"], Usage{Peak: 2, SeatSeconds: 140 * 60, Leases: 2})
	if got := d.SeatHours(); got != "2.33" {
		t.Errorf("seat-hours %s, want 2.33", got)
	}
	if s.Total.Peak != 2 || s.OverDays != 0 {
		t.Errorf("total peak %d, over days %d; want 2 and 0", s.Total.Peak, s.OverDays)
	}
}

// TestStatementReleaseBeforeExpiry: a released lease stops counting when
// released, not at its expiry; a seat released at the instant another is
// granted is one seat, not two.
func TestStatementReleaseBeforeExpiry(t *testing.T) {
	var l log
	l.add(at(0, 0), EventGranted, "a", "widget", at(1, 0))
	l.add(at(0, 15), EventReleased, "a", "widget", time.Time{})
	l.add(at(0, 15), EventGranted, "b", "widget", at(1, 15))
	l.add(at(0, 45), EventReleased, "b", "widget", time.Time{})
	l.add(at(0, 50), EventReleased, "b", "widget", time.Time{}) // repeated: harmless
	s := Build(site, l.events, Options{})
	checkUsage(t, "the day", &day0(t, s, 0).Usage, Usage{Peak: 1, SeatSeconds: 45 * 60, Leases: 2})
}

// TestStatementCrash: a lease with no release nor expiry record (its
// client crashed, the server stopped) runs to its signed expiry, the last
// one renewed; a restart ends nothing.
func TestStatementCrash(t *testing.T) {
	var l log
	l.add(at(0, 0), EventGranted, "a", "widget", at(1, 0))
	l.add(at(0, 20), EventRenewed, "a", "widget", at(1, 20))
	l.add(at(0, 30), EventStarted, "", "", time.Time{})
	l.add(at(0, 30), EventSafeMode, "", "", at(1, 30))
	l.events[len(l.events)-1].Reason = "the log is shorter than the signed head"
	l.add(at(0, 40), EventGranted, "b", "gadget", at(1, 40))
	s := Build(site, l.events, Options{})
	d := day0(t, s, 0)
	checkUsage(t, "the day", &d.Usage, Usage{Peak: 2, SeatSeconds: 80*60 + 60*60, Leases: 2})
	checkUsage(t, "widget", d.ByProduct["widget"], Usage{Peak: 1, SeatSeconds: 80 * 60, Leases: 1})
	checkUsage(t, "gadget", d.ByProduct["gadget"], Usage{Peak: 1, SeatSeconds: 60 * 60, Leases: 1})
	if s.Starts != 1 || len(s.SafeModes) != 1 || !s.SafeModes[0].Until.Equal(at(1, 30)) {
		t.Errorf("starts %d, safe modes %+v", s.Starts, s.SafeModes)
	}
	if fmt.Sprint(s.Products) != "[gadget widget]" {
		t.Errorf("products %v", s.Products)
	}
}

// TestStatementDayBoundary: a lease across midnight counts in both days,
// its seat time split at midnight; a borrow runs for days, each a peak of
// one; a lease that ends at midnight does not count on the next day.
func TestStatementDayBoundary(t *testing.T) {
	var l log
	midnight := t0.Truncate(24 * time.Hour).Add(24 * time.Hour) // Tuesday 00:00
	l.add(midnight.Add(-30*time.Minute), EventGranted, "a", "widget", midnight.Add(30*time.Minute))
	l.add(midnight.Add(-time.Hour), EventGranted, "c", "widget", midnight) // ends at midnight
	l.add(midnight.Add(-20*time.Minute), EventBorrowed, "b", "widget", midnight.Add(2*24*time.Hour))
	l.add(midnight.Add(24*time.Hour+time.Hour), EventReturned, "b", "widget", time.Time{}) // returned early, Wednesday 01:00
	s := Build(site, l.events, Options{})
	if len(s.Days) != 3 {
		t.Fatalf("%d days, want 3 (Monday to Wednesday)", len(s.Days))
	}
	mon, tue, wed := s.Days[0], s.Days[1], s.Days[2]
	if mon.Label() != "2026-12-07" || wed.Label() != "2026-12-09" {
		t.Errorf("days %s to %s", mon.Label(), wed.Label())
	}
	// Monday: c 23:00-24:00, a 23:30-24:00, b 23:40-24:00: three at once.
	checkUsage(t, "Monday", &mon.Usage, Usage{Peak: 3, SeatSeconds: (60 + 30 + 20) * 60, Leases: 3, Borrows: 1})
	// Tuesday: a to 00:30 and b all day; c ended at midnight.
	checkUsage(t, "Tuesday", &tue.Usage, Usage{Peak: 2, SeatSeconds: 30*60 + 24*3600})
	checkUsage(t, "Wednesday", &wed.Usage, Usage{Peak: 1, SeatSeconds: 3600})
	if s.OverDays != 1 { // 3 on Monday, over the 2 seats
		t.Errorf("over days %d, want 1", s.OverDays)
	}
	if s.Total != (Usage{Peak: 3, SeatSeconds: (110+30)*60 + 24*3600 + 3600, Leases: 3, Borrows: 1}) {
		t.Errorf("total %+v", s.Total)
	}
}

// TestStatementRefusals: refusals count per day and product; a day with
// refusals and no lease is a day of the statement.
func TestStatementRefusals(t *testing.T) {
	var l log
	l.add(at(0, 0), EventGranted, "a", "widget", at(1, 0))
	l.add(at(0, 1), EventRefused, "", "widget", time.Time{})
	l.add(at(0, 2), EventRefused, "", "widget", time.Time{})
	l.add(at(24, 0), EventRefused, "", "gadget", time.Time{})
	l.add(at(24, 1), EventRefused, "", "gadget", time.Time{})
	l.events[len(l.events)-1].Reason = "wrong_product" // not demand beyond the seats
	l.events[len(l.events)-2].Reason = ReasonSeatsFull
	s := Build(site, l.events, Options{})
	if len(s.Days) != 2 {
		t.Fatalf("%d days, want 2", len(s.Days))
	}
	checkUsage(t, "day 1 widget", s.Days[0].ByProduct["widget"], Usage{Peak: 1, SeatSeconds: 3600, Refusals: 2, Leases: 1})
	checkUsage(t, "day 2", &s.Days[1].Usage, Usage{Refusals: 1})
	checkUsage(t, "day 2 gadget", s.Days[1].ByProduct["gadget"], Usage{Refusals: 1})
	if s.Total.Refusals != 3 {
		t.Errorf("%d refusals, want 3", s.Total.Refusals)
	}
}

// TestStatementPeriod: a period keeps its days, and a lease that started
// before it counts from its first midnight.
func TestStatementPeriod(t *testing.T) {
	var l log
	l.add(at(0, 0), EventBorrowed, "b", "widget", at(72, 0))
	tue := t0.Truncate(24 * time.Hour).Add(24 * time.Hour)
	s := Build(site, l.events, Options{From: tue, To: tue.Add(24 * time.Hour)})
	if len(s.Days) != 1 || s.Days[0].Label() != "2026-12-08" {
		t.Fatalf("days %v, want 2026-12-08 alone", s.Days)
	}
	checkUsage(t, "Tuesday", &s.Days[0].Usage, Usage{Peak: 1, SeatSeconds: 24 * 3600})
}

// TestStatementTimeZones: the same instant in two zones is one instant.
func TestStatementTimeZones(t *testing.T) {
	var l log
	plus1 := time.FixedZone("+01", 3600)
	l.add(at(0, 0), EventGranted, "a", "widget", at(1, 0).In(plus1))
	l.add(at(1, 0), EventGranted, "b", "widget", at(2, 0))
	s := Build(site, l.events, Options{})
	checkUsage(t, "the day", &day0(t, s, 0).Usage, Usage{Peak: 1, SeatSeconds: 7200, Leases: 2})
}

func TestParseEvent(t *testing.T) {
	e, err := ParseEvent([]byte(`{"seq":3,"at":"2026-12-07T10:00:00.123+01:00","event":"granted","lease":"ab","product":"w","expires":"2026-12-07T10:00:00Z","token":"t","in_use":1,"extra":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != 3 || e.At.Location() != time.UTC || e.At.Hour() != 9 || e.InUse != 1 {
		t.Errorf("parsed %+v", e)
	}
	for _, bad := range []string{
		`{"at":"2026-12-07T10:00:00Z","event":"refused"}`,
		`{"seq":1,"event":"refused"}`,
		`{"seq":1,"at":"2026-12-07T10:00:00Z"}`,
		`{"seq":-1,"at":"2026-12-07T10:00:00Z","event":"refused"}`,
		`{"seq":1,"at":"2026-12-07T10:00:00Z","event":"stolen"}`,
		`{"seq":1,"at":"2026-12-07T10:00:00Z","event":"granted","lease":"ab"}`,
		`{"seq":1,"at":"2026-12-07T10:00:00Z","event":"released"}`,
		`not json`,
	} {
		if _, err := ParseEvent([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

// TestStatementMaxDays: a lease that runs for centuries does not make a
// statement of centuries.
func TestStatementMaxDays(t *testing.T) {
	var l log
	l.add(at(0, 0), EventGranted, "a", "widget", t0.AddDate(5000, 0, 0))
	s := Build(site, l.events, Options{})
	if len(s.Days) != MaxDays {
		t.Errorf("%d days, want %d", len(s.Days), MaxDays)
	}
}

// TestStatementTwoServers: two lease servers of one site (a sub-grant
// each, lease ids that happen to be the same) count together: the peak
// is the most seats in use at once on both.
func TestStatementTwoServers(t *testing.T) {
	var a, b log
	a.add(at(0, 0), EventGranted, "x", "widget", at(1, 0))
	b.add(at(0, 30), EventGranted, "x", "widget", at(1, 30))
	b.add(at(0, 45), EventReleased, "x", "widget", time.Time{})
	s := BuildAll(Site{Seats: 2}, [][]*Event{a.events, b.events}, Options{})
	checkUsage(t, "the day", &day0(t, s, 0).Usage, Usage{Peak: 2, SeatSeconds: 3600 + 900, Leases: 2})
	if s.Records != 3 || !s.First.Equal(at(0, 0)) || !s.Last.Equal(at(0, 45)) {
		t.Errorf("records %d from %v to %v", s.Records, s.First, s.Last)
	}
}
