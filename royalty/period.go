package royalty

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Period is the span of a statement, from Start (included) to End
// (excluded), in UTC.
type Period struct {
	Name       string
	Start, End time.Time
}

// LastDay returns the period's last day.
func (p Period) LastDay() time.Time { return p.End.AddDate(0, 0, -1) }

// String returns the name and the days: "2026-Q4 (2026-10-01 to 2026-12-31)".
func (p Period) String() string {
	return fmt.Sprintf("%s (%s to %s)", p.Name, p.Start.Format(time.DateOnly), p.LastDay().Format(time.DateOnly))
}

// Months returns the first day of every month the period touches.
func (p Period) Months() []time.Time {
	var out []time.Time
	for m := time.Date(p.Start.Year(), p.Start.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(p.End); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

// Contains reports whether t lies in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

var (
	quarterPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{4})-[Qq]([1-4])$`) })
	monthPattern   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`) })
	yearPattern    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{4})$`) })
)

// maxPeriodMonths bounds a period: a statement's charts have a bar per
// month.
const maxPeriodMonths = 120

// ParsePeriod parses a statement period: a quarter (2026-Q4), a month
// (2026-11), a year (2026), days (2026-10-01..2026-12-31, both included),
// or one relative to now: this-month, last-month, this-quarter,
// last-quarter, this-year, last-year. Periods are in UTC, at most ten
// years long.
func ParsePeriod(s string, now time.Time) (Period, error) {
	now = now.UTC()
	year := func(x string) int { n, _ := strconv.Atoi(x); return n }
	mk := func(name string, start time.Time, months int) (Period, error) {
		return Period{Name: name, Start: start, End: start.AddDate(0, months, 0)}, nil
	}
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	thisQuarter := time.Date(now.Year(), (now.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	quarterName := func(t time.Time) string { return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())-1)/3+1) }
	switch s = strings.TrimSpace(s); s {
	case "this-month":
		return mk(thisMonth.Format("2006-01"), thisMonth, 1)
	case "last-month":
		m := thisMonth.AddDate(0, -1, 0)
		return mk(m.Format("2006-01"), m, 1)
	case "this-quarter":
		return mk(quarterName(thisQuarter), thisQuarter, 3)
	case "last-quarter":
		q := thisQuarter.AddDate(0, -3, 0)
		return mk(quarterName(q), q, 3)
	case "this-year":
		return mk(strconv.Itoa(now.Year()), time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC), 12)
	case "last-year":
		return mk(strconv.Itoa(now.Year()-1), time.Date(now.Year()-1, 1, 1, 0, 0, 0, 0, time.UTC), 12)
	}
	if m := quarterPattern().FindStringSubmatch(s); m != nil {
		q, _ := strconv.Atoi(m[2])
		return mk(fmt.Sprintf("%s-Q%d", m[1], q), time.Date(year(m[1]), time.Month(3*q-2), 1, 0, 0, 0, 0, time.UTC), 3)
	}
	if m := monthPattern().FindStringSubmatch(s); m != nil {
		mo, _ := strconv.Atoi(m[2])
		if mo >= 1 && mo <= 12 {
			return mk(s, time.Date(year(m[1]), time.Month(mo), 1, 0, 0, 0, 0, time.UTC), 1)
		}
	}
	if m := yearPattern().FindStringSubmatch(s); m != nil {
		return mk(s, time.Date(year(m[1]), 1, 1, 0, 0, 0, 0, time.UTC), 12)
	}
	if from, to, ok := strings.Cut(s, ".."); ok {
		return parseDays(s, from, to)
	}
	return Period{}, fmt.Errorf("royalty: period %q: use a quarter (2026-Q4), a month (2026-11), a year (2026), days (2026-10-01..2026-12-31) or this-month, last-month, this-quarter, last-quarter, this-year, last-year", s)
}

// parseDays parses FROM..TO, both days included.
func parseDays(s, from, to string) (Period, error) {
	a, err1 := time.Parse(time.DateOnly, from)
	b, err2 := time.Parse(time.DateOnly, to)
	switch {
	case err1 != nil || err2 != nil:
		return Period{}, fmt.Errorf("royalty: period %q: days are YYYY-MM-DD..YYYY-MM-DD", s)
	case b.Before(a):
		return Period{}, fmt.Errorf("royalty: period %q ends before it starts", s)
	case b.After(a.AddDate(0, maxPeriodMonths, 0)):
		return Period{}, fmt.Errorf("royalty: period %q is longer than ten years", s)
	}
	return Period{Name: s, Start: a, End: b.AddDate(0, 0, 1)}, nil
}
