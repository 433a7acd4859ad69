package usage

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/licet/licet/internal/csvsafe"
)

// over returns how many seats a peak is over the grant's, "" when not.
func (s *Statement) over(peak int) string {
	if s.Seats == 0 || uint64(peak) <= s.Seats {
		return ""
	}
	return "+" + strconv.FormatUint(uint64(peak)-s.Seats, 10)
}

// WriteText writes the statement as tables for people: per day, then per
// day and product. OVER is how far a day's peak went beyond the grant's
// seats: leases the site server should never have granted.
func (s *Statement) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Seat usage of site %s (vendor %s, grant %s): %d seats\n", printable(s.Site.Site), printable(s.Vendor), s.GrantID, s.Seats)
	if s.Records > 0 {
		fmt.Fprintf(w, "%d records, %s to %s; days in UTC\n", s.Records, rfc3339(s.First), rfc3339(s.Last))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tPEAK\tOVER\tSEAT-HOURS\tREFUSED\tBORROWS\tLEASES")
	for _, d := range s.Days {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%d\t%d\n", d.Label(), d.Peak, s.over(d.Peak), d.SeatHours(), d.Refusals, d.Borrows, d.Leases)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%s\t%s\t%d\t%d\t%d\n", s.Total.Peak, s.over(s.Total.Peak), s.Total.SeatHours(), s.Total.Refusals, s.Total.Borrows, s.Total.Leases)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Days) == 0 {
		fmt.Fprintln(w, "(no lease and no refusal in the records)")
		return nil
	}
	for _, m := range s.SafeModes {
		fmt.Fprintf(w, "Safe mode from %s until %s: the server could not trust its state (%s).\n", rfc3339(m.At), rfc3339(m.Until), printable(m.Reason))
	}
	if s.OverDays > 0 {
		days := "days"
		if s.OverDays == 1 {
			days = "day"
		}
		fmt.Fprintf(w, "Over the %d seats of the grant on %d %s.\n", s.Seats, s.OverDays, days)
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\tPRODUCT\tPEAK\tSEAT-HOURS\tREFUSED\tBORROWS\tLEASES")
	for _, d := range s.Days {
		for _, p := range d.products() {
			u := d.ByProduct[p]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%d\n", d.Label(), printable(p), u.Peak, u.SeatHours(), u.Refusals, u.Borrows, u.Leases)
		}
	}
	return tw.Flush()
}

// products returns the day's products, sorted.
func (d *Day) products() []string { return slices.Sorted(maps.Keys(d.ByProduct)) }

// csvHeader is the header line of WriteCSV.
var csvHeader = []string{"day", "product", "peak", "seats", "over", "seat_hours", "seat_seconds", "refusals", "borrows", "leases"}

// WriteCSV writes a line per day for all products (product "*"), then a
// line per product of that day, with a header line. seats is the grant's;
// over is how far the peak went beyond it (0 when not); seat_hours has
// two decimals. Product names that a spreadsheet would take for a formula
// are prefixed with a quote.
func (s *Statement) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	seats := strconv.FormatUint(s.Seats, 10)
	line := func(d *Day, product string, u *Usage) error {
		over := "0"
		if o := s.over(u.Peak); o != "" && product == "*" {
			over = o[1:]
		}
		return cw.Write([]string{d.Label(), product, strconv.Itoa(u.Peak), seats, over, u.SeatHours(),
			strconv.FormatInt(u.SeatSeconds, 10), strconv.Itoa(u.Refusals), strconv.Itoa(u.Borrows), strconv.Itoa(u.Leases)})
	}
	for _, d := range s.Days {
		if err := line(d, "*", &d.Usage); err != nil {
			return err
		}
		for _, p := range d.products() {
			if err := line(d, csvsafe.Cell(p), d.ByProduct[p]); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// statementJSON is the JSON form of a statement.
type statementJSON struct {
	Vendor    string         `json:"vendor"`
	Site      string         `json:"site"`
	Grant     string         `json:"grant"`
	Seats     uint64         `json:"seats"`
	Records   int            `json:"records"`
	First     *string        `json:"first"`
	Last      *string        `json:"last"`
	Products  []string       `json:"products"`
	Total     usageJSON      `json:"total"`
	OverDays  int            `json:"over_days"`
	Starts    int            `json:"starts"`
	SafeModes []safeModeJSON `json:"safe_modes"`
	Days      []dayJSON      `json:"days"`
}

type safeModeJSON struct {
	At     string  `json:"at"`
	Until  *string `json:"until"`
	Reason string  `json:"reason"`
}

type usageJSON struct {
	Peak        int    `json:"peak"`
	SeatHours   string `json:"seat_hours"`
	SeatSeconds int64  `json:"seat_seconds"`
	Refusals    int    `json:"refusals"`
	Borrows     int    `json:"borrows"`
	Leases      int    `json:"leases"`
}

type dayJSON struct {
	Day string `json:"day"`
	usageJSON
	Over      int                  `json:"over"`
	ByProduct map[string]usageJSON `json:"by_product"`
}

func toJSON(u *Usage) usageJSON {
	return usageJSON{Peak: u.Peak, SeatHours: u.SeatHours(), SeatSeconds: u.SeatSeconds, Refusals: u.Refusals, Borrows: u.Borrows, Leases: u.Leases}
}

// MarshalJSON encodes the statement: seat_hours as a decimal string with
// two decimals (seat_seconds exact), over as the seats beyond the grant's.
func (s *Statement) MarshalJSON() ([]byte, error) {
	j := statementJSON{Vendor: s.Vendor, Site: s.Site.Site, Grant: s.GrantID, Seats: s.Seats, Records: s.Records,
		First: timeOrNull(s.First), Last: timeOrNull(s.Last), Products: s.Products, Total: toJSON(&s.Total), OverDays: s.OverDays, Days: []dayJSON{}}
	if j.Products == nil {
		j.Products = []string{}
	}
	j.Starts, j.SafeModes = s.Starts, []safeModeJSON{}
	for _, m := range s.SafeModes {
		j.SafeModes = append(j.SafeModes, safeModeJSON{At: rfc3339(m.At), Until: timeOrNull(m.Until), Reason: m.Reason})
	}
	for _, d := range s.Days {
		dj := dayJSON{Day: d.Label(), usageJSON: toJSON(&d.Usage), ByProduct: map[string]usageJSON{}}
		if o := s.over(d.Peak); o != "" {
			dj.Over, _ = strconv.Atoi(o[1:])
		}
		for p, u := range d.ByProduct {
			dj.ByProduct[p] = toJSON(u)
		}
		j.Days = append(j.Days, dj)
	}
	return json.Marshal(j)
}

// printable returns text from a site's records fit for a terminal:
// Go-quoted when it holds anything but printable characters, or starts
// with a quote.
func printable(s string) string {
	if strings.HasPrefix(s, `"`) || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// timeOrNull is an RFC 3339 time, or null for the zero time.
func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}
