package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet/policy"
)

// dateHelp says what every time flag takes, for the commands' help.
const dateHelp = `DATE is YYYY-MM-DD (the end of that day, UTC; its start for --not-before
and --at), RFC 3339 (2026-01-31T12:00:00Z), unix seconds, or a DURATION
from now (30d, 36h, 1d12h).`

// parseDate parses the DATE of every time flag (--expires, --not-before,
// --not-after, --at, --next-update, --within, --expiring): YYYY-MM-DD
// (the end of that day, UTC, or its start when startOfDay), RFC 3339,
// unix seconds, or a DURATION from now.
func parseDate(s string, startOfDay bool, now time.Time) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if startOfDay {
			return t, nil
		}
		return t.Add(24*time.Hour - time.Second), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > -62135596800 && n < 253402300800 {
		return time.Unix(n, 0).UTC(), nil
	}
	if d, err := parseDuration(s); err == nil && s != "" && s[0] >= '0' && s[0] <= '9' {
		return now.UTC().Add(d).Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a DATE: use YYYY-MM-DD, RFC 3339 (2026-01-31T12:00:00Z), unix seconds, or a duration from now (30d, 36h)", s)
}

// parseDuration parses a DURATION: a number and a unit (90d, 36h, 15m,
// 1d12h), days allowed, at most policy.MaxDurationDays; negative durations
// are refused. It is the policy file's parser, so that a template and a
// flag read alike.
func parseDuration(s string) (time.Duration, error) {
	d, err := policy.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a DURATION: use a number and a unit: 90d, 36h, 15m, 1d12h (at most %dd)", s, policy.MaxDurationDays)
	}
	return d, nil
}

// formatDuration prints d the way DURATION flags take it, in days, hours,
// minutes and seconds: 400d, 36h as 1d12h, 90s as 1m30s. Parts of a
// second are printed as Go does (500ms).
func formatDuration(d time.Duration) string {
	if d < 0 {
		return "-" + formatDuration(-d)
	}
	if d == 0 {
		return "0s"
	}
	if d < time.Second || d%time.Second != 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.unit)
			d -= n * u.d
		}
	}
	return b.String()
}

// parseExpires parses --expires, which must be after now.
func parseExpires(s string, now time.Time) (time.Time, []string) {
	t, err := parseDate(s, false, now)
	switch {
	case err != nil:
		return time.Time{}, []string{"--expires " + err.Error()}
	case !t.After(now):
		return time.Time{}, []string{fmt.Sprintf("--expires %s is in the past", rfc3339(t))}
	}
	return t, nil
}

// parseNotBefore parses --not-before (none when s is empty), which must
// be before expiry when there is one.
func parseNotBefore(s string, expiry, now time.Time) (time.Time, []string) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseDate(s, true, now)
	switch {
	case err != nil:
		return time.Time{}, []string{"--not-before " + err.Error()}
	case !expiry.IsZero() && !t.Before(expiry):
		return time.Time{}, []string{fmt.Sprintf("--not-before %s is not before the expiry %s", rfc3339(t), rfc3339(expiry))}
	}
	return t, nil
}
