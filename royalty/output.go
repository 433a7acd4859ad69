package royalty

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/licet/licet/internal/csvsafe"
)

// WriteText writes the statement as tables for people: per partner and
// tier (GRACE is the seat-years of grace that SEAT-YEARS holds), then per
// month, then the late licenses, if any.
func (s *Statement) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Royalty statement %s, UTC\n", s.Period)
	if len(s.Vendors) > 0 {
		fmt.Fprintf(w, "Vendor: %s\n", strings.Join(s.Vendors, ", "))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTNER\tTIER\tLICENSES\tSEATS\tSEAT-YEARS\tGRACE\tPRICE\tROYALTY")
	for _, r := range s.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", printable(r.Partner), printable(r.Tier), r.Licenses, r.Seats, r.SeatYears, r.Grace, r.Price, r.Royalty)
	}
	fmt.Fprintf(tw, "TOTAL\t\t%d\t\t\t\t\t%s\n", s.Licenses, s.money(s.Royalty))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Rows) == 0 {
		fmt.Fprintln(w, "(no reported license was issued in the period)")
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MONTH\tLICENSES\tROYALTY")
	for _, m := range s.Months {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", m.Label(), m.Licenses, m.Royalty)
	}
	if err := tw.Flush(); err != nil || s.Late == 0 {
		return err
	}
	fmt.Fprintf(w, "\nLate: %d issued before the partner's previous report, counted when first reported\n", s.Late)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTNER\tLICENSE\tLICENSEE\tTIER\tISSUED\tREPORTED\tROYALTY")
	for _, l := range s.Lines {
		if l.Late {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", printable(l.Partner), l.LicenseID, printable(l.Subject), printable(l.Tier),
				l.Issued.Format(time.DateOnly), l.Reported.Format(time.DateOnly), l.Royalty)
		}
	}
	return tw.Flush()
}

// money is an amount with the currency, when there is one.
func (s *Statement) money(a fmt.Stringer) string {
	if s.Currency == "" {
		return a.String()
	}
	return a.String() + " " + s.Currency
}

// csvHeader is the header line of WriteCSV.
var csvHeader = []string{"partner", "grant", "license", "sub", "tier", "iat", "start", "exp", "grace", "seats", "seat_years", "grace_seat_years",
	"basis", "price", "royalty", "currency", "reported", "late"}

// WriteCSV writes one line per license, with a header line. Amounts have
// two decimals; grace is in seconds; seat_years covers the billed term
// (expiry plus grace), of which grace_seat_years is grace; reported is when
// the report that first held the license was ingested; late is true for a
// license that counts then rather than at its iat (see [report.Late]).
// Text that a spreadsheet would take for a formula (starting with = + - @)
// is prefixed with a quote.
func (s *Statement) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, l := range s.Lines {
		rec := []string{
			cell(l.Partner), l.GrantID, l.LicenseID, cell(l.Subject), cell(l.Tier),
			rfc3339(l.Issued), rfc3339(l.Start), rfc3339(l.Expires), strconv.FormatInt(int64(l.Grace/time.Second), 10),
			strconv.FormatUint(l.Seats, 10), l.SeatYears.String(), l.GraceSeatYears.String(), string(l.Price.Basis), l.Price.Amount.String(),
			l.Royalty.String(), s.Currency, rfc3339(l.Reported), strconv.FormatBool(l.Late),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// printable returns text from a partner's token fit for a terminal:
// Go-quoted when it holds anything but printable characters, or starts
// with a quote.
func printable(s string) string {
	if strings.HasPrefix(s, `"`) || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// cell defuses spreadsheet formulas in text from tokens.
func cell(s string) string { return csvsafe.Cell(s) }

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// statementJSON is the JSON form of a statement: amounts are strings with
// two decimals, never floating point.
type statementJSON struct {
	Period   periodJSON  `json:"period"`
	Vendors  []string    `json:"vendors"`
	Currency string      `json:"currency"`
	Licenses int         `json:"licenses"`
	Late     int         `json:"late"`
	Royalty  string      `json:"royalty"`
	Tiers    []string    `json:"tiers"`
	Partners []string    `json:"partners"`
	Rows     []rowJSON   `json:"rows"`
	Months   []monthJSON `json:"months"`
	Lines    []lineJSON  `json:"lines"`
}

type periodJSON struct {
	Name    string `json:"name"`
	Start   string `json:"start"`
	LastDay string `json:"last_day"`
}

type rowJSON struct {
	Partner   string `json:"partner"`
	Tier      string `json:"tier"`
	Basis     string `json:"basis"`
	Price     string `json:"price"`
	Licenses  int    `json:"licenses"`
	Seats     uint64 `json:"seats"`
	SeatYears string `json:"seat_years"`
	Grace     string `json:"grace_seat_years"`
	Royalty   string `json:"royalty"`
}

type monthJSON struct {
	Month    string                   `json:"month"`
	Licenses int                      `json:"licenses"`
	Royalty  string                   `json:"royalty"`
	ByTier   map[string]tierMonthJSON `json:"by_tier"`
}

type tierMonthJSON struct {
	Licenses int    `json:"licenses"`
	Royalty  string `json:"royalty"`
}

type lineJSON struct {
	Partner   string  `json:"partner"`
	Grant     string  `json:"grant"`
	License   string  `json:"license"`
	Sub       string  `json:"sub"`
	Tier      string  `json:"tier"`
	Iat       string  `json:"iat"`
	Start     string  `json:"start"`
	Exp       *string `json:"exp"`
	Grace     int64   `json:"grace"` // seconds
	Seats     uint64  `json:"seats"`
	SeatYears string  `json:"seat_years"`
	GraceSY   string  `json:"grace_seat_years"`
	Basis     string  `json:"basis"`
	Price     string  `json:"price"`
	Royalty   string  `json:"royalty"`
	Reported  *string `json:"reported"`
	Late      bool    `json:"late"`
}

// MarshalJSON encodes the statement with amounts as decimal strings.
func (s *Statement) MarshalJSON() ([]byte, error) {
	j := statementJSON{
		Period:   periodJSON{Name: s.Period.Name, Start: s.Period.Start.Format(time.DateOnly), LastDay: s.Period.LastDay().Format(time.DateOnly)},
		Vendors:  nonNil(s.Vendors),
		Currency: s.Currency, Licenses: s.Licenses, Late: s.Late, Royalty: s.Royalty.String(), Tiers: nonNil(s.Tiers), Partners: nonNil(s.Partners),
		Rows: []rowJSON{}, Months: []monthJSON{}, Lines: []lineJSON{},
	}
	for _, r := range s.Rows {
		j.Rows = append(j.Rows, rowJSON{Partner: r.Partner, Tier: r.Tier, Basis: string(r.Price.Basis), Price: r.Price.Amount.String(),
			Licenses: r.Licenses, Seats: r.Seats, SeatYears: r.SeatYears.String(), Grace: r.Grace.String(), Royalty: r.Royalty.String()})
	}
	for _, m := range s.Months {
		mj := monthJSON{Month: m.Label(), Licenses: m.Licenses, Royalty: m.Royalty.String(), ByTier: map[string]tierMonthJSON{}}
		for t, tm := range m.ByTier {
			mj.ByTier[t] = tierMonthJSON{Licenses: tm.Licenses, Royalty: tm.Royalty.String()}
		}
		j.Months = append(j.Months, mj)
	}
	for _, l := range s.Lines {
		j.Lines = append(j.Lines, lineJSON{Partner: l.Partner, Grant: l.GrantID, License: l.LicenseID, Sub: l.Subject, Tier: l.Tier,
			Iat: rfc3339(l.Issued), Start: rfc3339(l.Start), Exp: timeOrNull(l.Expires), Grace: int64(l.Grace / time.Second),
			Seats: l.Seats, SeatYears: l.SeatYears.String(), GraceSY: l.GraceSeatYears.String(),
			Basis: string(l.Price.Basis), Price: l.Price.Amount.String(), Royalty: l.Royalty.String(),
			Reported: timeOrNull(l.Reported), Late: l.Late})
	}
	return json.Marshal(j)
}

// timeOrNull is an RFC 3339 time, or null for the zero time.
func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
