package usage

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

const day = 24 * time.Hour

// MaxDays bounds the days of a statement: a lease that would run beyond
// them (an expiry centuries away) counts to their end.
const MaxDays = 100 * 366

// Site says whose usage a statement shows: the site grant's parties and
// its number of seats.
type Site struct {
	Vendor  string // the grant's issuer
	Site    string // the grant's subject: the site server's partner id
	GrantID string // hex
	Seats   uint64 // N: concurrent seats, borrowed ones included
}

// Statement is a site's seat usage per UTC day, in total and per
// product: the most seats in use at once (Peak), the seat-hours, the
// refusals (demand beyond the N seats), the borrows and the leases
// granted.
//
// It is computed from the site log's records alone: a lease is in use
// from the record that granted (or borrowed) it until the record that
// released (or returned) it, or else until its last signed expiry, set by
// the record that granted or last renewed it; a crashed client's lease so
// runs to its expiry, as it does on the server. A seat released at the
// instant another is granted is not counted twice.
type Statement struct {
	Site
	// First and Last are the times of the first and last record.
	First, Last time.Time
	// Records is how many records the statement was computed from.
	Records int
	// Products are the products with a lease or a refusal, sorted.
	Products []string
	// Days are every UTC day from the first record's to the last day a
	// lease was in use (or the period's days), in order.
	Days []*Day
	// Total sums the days: its Peak is the greatest of theirs.
	Total Usage
	// OverDays counts the days whose peak exceeds the grant's seats.
	OverDays int
	// Starts counts the server's starts.
	Starts int
	// SafeModes are the times the server refused new leases because it
	// could not trust its state (lost, rolled back, signed by another
	// key): the site's log went missing or back.
	SafeModes []SafeMode
}

// SafeMode is a time the server entered safe mode: when, until when it
// refused new leases, and why.
type SafeMode struct {
	At, Until time.Time
	Reason    string
}

// Day is one UTC day of a statement.
type Day struct {
	Date time.Time // midnight UTC
	Usage
	// ByProduct is each product's share of the day; the peaks of the
	// products may add up to more than the day's, reached at other times.
	ByProduct map[string]*Usage
}

// Label returns the day as YYYY-MM-DD.
func (d *Day) Label() string { return d.Date.Format(time.DateOnly) }

// Usage is what a day (or a product in a day, or a statement) counts.
type Usage struct {
	Peak        int   // the most seats in use at one instant
	SeatSeconds int64 // seat time in use, in seconds
	Refusals    int   // requests refused because every seat was taken (seats_full)
	Borrows     int   // seats borrowed
	Leases      int   // leases granted, borrowed ones included (not renewals)
}

// SeatHours returns the seat time in hours, rounded to hundredths, as a
// decimal string.
func (u *Usage) SeatHours() string { return hours(u.SeatSeconds) }

// hours formats seconds as hours with two decimals, rounded half up.
func hours(s int64) string {
	h := (s*100 + 1800) / 3600 // hundredths of an hour
	return fmt.Sprintf("%d.%02d", h/100, h%100)
}

// Options limits a statement to a period.
type Options struct {
	// From and To, when set, keep the days from From's to the day before
	// To (UTC): the days of a royalty period.
	From, To time.Time
}

// interval is a lease in use from start to end (excluded).
type interval struct {
	product    string
	start, end time.Time
}

// Build computes the statement of events, the records of a site log in
// order, for site.
func Build(site Site, events []*Event, opt Options) *Statement {
	return BuildAll(site, [][]*Event{events}, opt)
}

// BuildAll computes one statement of the logs of several lease servers
// of a site, each under its own sub-grant (site.Seats is then their
// sum): their leases count together, the peak of a day is the most
// seats in use at one instant on all servers.
func BuildAll(site Site, logs [][]*Event, opt Options) *Statement {
	s := &Statement{Site: site}
	var ivs []interval
	counts := map[time.Time]map[string]*Usage{} // per day and product: refusals, borrows, leases
	for _, events := range logs {
		ivs = append(ivs, s.read(events, counts)...)
	}
	s.days(ivs, counts, opt)
	return s
}

// read reads the records of one log, in order: it returns the intervals
// its leases were in use, adds to counts and to the statement's records,
// times, starts and safe modes.
func (s *Statement) read(events []*Event, counts map[time.Time]map[string]*Usage) []interval {
	s.Records += len(events)
	var ivs []interval
	open := map[string]*interval{} // the outstanding leases
	closeLease := func(id string, at time.Time) {
		l := open[id]
		if at.Before(l.end) {
			l.end = at
		}
		if l.end.Before(l.start) {
			l.end = l.start
		}
		ivs = append(ivs, *l)
		delete(open, id)
	}
	count := func(at time.Time, product string) *Usage {
		d := at.UTC().Truncate(day)
		if counts[d] == nil {
			counts[d] = map[string]*Usage{}
		}
		if counts[d][product] == nil {
			counts[d][product] = &Usage{}
		}
		return counts[d][product]
	}
	for i, ev := range events {
		e := *ev // times in UTC: equal instants are equal map keys
		e.At, e.Expires = e.At.UTC(), e.Expires.UTC()
		if i == 0 && (s.First.IsZero() || e.At.Before(s.First)) {
			s.First = e.At
		}
		if e.At.After(s.Last) {
			s.Last = e.At
		}
		l := open[e.Lease]
		switch e.Event {
		case EventGranted, EventBorrowed:
			if l != nil {
				closeLease(e.Lease, e.At)
			}
			open[e.Lease] = &interval{product: e.Product, start: e.At, end: e.Expires}
			c := count(e.At, e.Product)
			c.Leases++
			if e.Event == EventBorrowed {
				c.Borrows++
			}
		case EventRenewed:
			switch {
			case l == nil: // a lease granted before the first record read
				open[e.Lease] = &interval{product: e.Product, start: e.At, end: e.Expires}
			case e.At.After(l.end): // lapsed, then renewed: a new stretch
				closeLease(e.Lease, l.end)
				open[e.Lease] = &interval{product: l.product, start: e.At, end: e.Expires}
			default:
				l.end = e.Expires
			}
		case EventReleased, EventReturned, EventExpired:
			if l != nil {
				closeLease(e.Lease, e.At)
			}
		case EventStarted:
			s.Starts++
		case EventSafeMode:
			s.SafeModes = append(s.SafeModes, SafeMode{At: e.At, Until: e.Expires, Reason: e.Reason})
		case EventRefused:
			if e.Reason == "" || e.Reason == ReasonSeatsFull {
				count(e.At, e.Product).Refusals++
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(open)) { // no end record: the lease runs to its expiry
		closeLease(id, open[id].end)
	}
	return ivs
}

// days lays out the days of the statement and fills them.
func (s *Statement) days(ivs []interval, counts map[time.Time]map[string]*Usage, opt Options) {
	products := map[string]bool{}
	var first, last time.Time
	see := func(t time.Time) {
		d := t.UTC().Truncate(day)
		if first.IsZero() || d.Before(first) {
			first = d
		}
		if d.After(last) {
			last = d
		}
	}
	for _, iv := range ivs {
		if !iv.end.After(iv.start) {
			continue
		}
		products[iv.product] = true
		see(iv.start)
		see(iv.end.Add(-time.Nanosecond))
	}
	for d, byProduct := range counts {
		see(d)
		for p := range byProduct {
			products[p] = true
		}
	}
	if !opt.From.IsZero() {
		first = opt.From.UTC().Truncate(day)
	}
	if !opt.To.IsZero() {
		last = opt.To.UTC().Add(-time.Nanosecond).Truncate(day)
	}
	s.Products = slices.Sorted(maps.Keys(products))
	if first.IsZero() && last.IsZero() {
		return
	}
	if last.Sub(first) >= MaxDays*day {
		last = first.Add((MaxDays - 1) * day)
	}
	index := map[time.Time]*Day{}
	for d := first; !d.After(last); d = d.Add(day) {
		dd := &Day{Date: d, ByProduct: map[string]*Usage{}}
		for p, c := range counts[d] {
			dd.Refusals += c.Refusals
			dd.Borrows += c.Borrows
			dd.Leases += c.Leases
			u := *c
			dd.ByProduct[p] = &u
		}
		s.Days = append(s.Days, dd)
		index[d] = dd
	}
	if len(s.Days) == 0 {
		return
	}
	from, to := s.Days[0].Date, s.Days[len(s.Days)-1].Date.Add(day)
	// Seat time, split at midnights.
	for _, iv := range ivs {
		start, end := maxTime(iv.start, from), minTime(iv.end, to)
		for t := start; t.Before(end); {
			d := t.UTC().Truncate(day)
			next := minTime(d.Add(day), end)
			secs := int64(next.Sub(t) / time.Second)
			dd := index[d]
			dd.SeatSeconds += secs
			dd.product(iv.product).SeatSeconds += secs
			t = next
		}
	}
	// Peaks, over all products and per product.
	peaks(ivs, "", index, from, to)
	for _, p := range s.Products {
		peaks(ivs, p, index, from, to)
	}
	for _, d := range s.Days {
		for p, u := range d.ByProduct { // drop products with nothing that day
			if *u == (Usage{}) {
				delete(d.ByProduct, p)
			}
		}
		s.Total.SeatSeconds += d.SeatSeconds
		s.Total.Refusals += d.Refusals
		s.Total.Borrows += d.Borrows
		s.Total.Leases += d.Leases
		s.Total.Peak = max(s.Total.Peak, d.Peak)
		if s.Seats > 0 && uint64(d.Peak) > s.Seats {
			s.OverDays++
		}
	}
}

// product returns the day's usage of product p, created when missing.
func (d *Day) product(p string) *Usage {
	u := d.ByProduct[p]
	if u == nil {
		u = &Usage{}
		d.ByProduct[p] = u
	}
	return u
}

// peaks sets the peak of every day in [from, to) for the intervals of
// product ("": all): the greatest number of intervals that hold one
// instant of the day. Intervals are half-open: one that ends when
// another starts does not overlap it.
func peaks(ivs []interval, product string, index map[time.Time]*Day, from, to time.Time) {
	delta := map[time.Time]int{}
	for _, iv := range ivs {
		if (product != "" && iv.product != product) || !iv.end.After(iv.start) {
			continue
		}
		delta[iv.start]++
		delta[iv.end]--
	}
	times := slices.SortedFunc(maps.Keys(delta), func(a, b time.Time) int { return a.Compare(b) })
	set := func(d time.Time, n int) {
		dd := index[d]
		if dd == nil {
			return
		}
		if product == "" {
			dd.Peak = max(dd.Peak, n)
		} else if n > 0 {
			u := dd.product(product)
			u.Peak = max(u.Peak, n)
		}
	}
	n, i := 0, 0
	for d := from; d.Before(to); d = d.Add(day) {
		// The count at midnight: after every change up to and at it.
		for i < len(times) && !times[i].After(d) {
			n += delta[times[i]]
			i++
		}
		set(d, n)
		// Then after each change within the day.
		for i < len(times) && times[i].Before(d.Add(day)) {
			n += delta[times[i]]
			i++
			set(d, n)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
