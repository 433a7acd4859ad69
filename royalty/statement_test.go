package royalty_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/policy"
	"github.com/licet/licet/report"
	"github.com/licet/licet/royalty"
)

const prices = `
[royalties]
currency = "EUR"

[royalties.prices.pro]
per_seat_year = "120"

[royalties.prices.team]
flat = "50"
`

func royalties(t testing.TB, file string) *policy.Royalties {
	t.Helper()
	p, err := policy.Parse([]byte(file), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	return p.Royalties
}

func build(t *testing.T, w *world, period string, file string, partner string) (*royalty.Statement, error) {
	t.Helper()
	p, err := royalty.ParsePeriod(period, w.Clock)
	if err != nil {
		t.Fatal(err)
	}
	return royalty.Build(context.Background(), w.VLed, royalty.Options{Period: p, Royalties: royalties(t, file), Partner: partner})
}

func TestStatement(t *testing.T) {
	w := statementWorld(t)
	s, err := build(t, w, "2026-Q4", prices, "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Licenses != 5 || s.Royalty != 3700_00 || s.Currency != "EUR" || len(s.Rows) != 2 || len(s.Lines) != 5 ||
		strings.Join(s.Vendors, ",") != "acme" || strings.Join(s.Tiers, ",") != "pro,team" {
		t.Fatalf("statement = %+v", s)
	}
	pro, team := s.Rows[0], s.Rows[1]
	if pro.Partner != "globex" || pro.Tier != "pro" || pro.Licenses != 3 || pro.Seats != 30 || pro.SeatYears != 30_00 || pro.Royalty != 3600_00 {
		t.Errorf("pro row = %+v", pro)
	}
	if team.Tier != "team" || team.Licenses != 2 || team.Royalty != 100_00 || team.Price.Basis != policy.Flat {
		t.Errorf("team row = %+v", team)
	}
	if len(s.Months) != 3 || s.Months[0].Licenses != 3 || s.Months[0].Royalty != 3600_00 || s.Months[1].ByTier["team"].Licenses != 2 ||
		s.Months[2].Licenses != 0 || s.Months[1].Label() != "2026-11" {
		t.Errorf("months = %+v %+v %+v", s.Months[0], s.Months[1], s.Months[2])
	}

	// One month, one partner.
	if s, err := build(t, w, "2026-11", prices, ""); err != nil || s.Licenses != 2 || s.Royalty != 100_00 || len(s.Months) != 1 {
		t.Errorf("2026-11: %+v, %v", s, err)
	}
	if s, err := build(t, w, "2026-Q4", prices, "initech"); err != nil || s.Licenses != 0 || len(s.Rows) != 0 || len(s.Months) != 3 {
		t.Errorf("another partner: %+v, %v", s, err)
	}
	// A tier without a price names itself; a "*" price covers it.
	if _, err := build(t, w, "2026-Q4", "[royalties.prices.pro]\nflat = 1\n", ""); err == nil ||
		!strings.Contains(err.Error(), `tier "team" (2 licenses) has no price: add [royalties.prices.team]`) {
		t.Errorf("unpriced tier: %v", err)
	}
	if s, err := build(t, w, "2026-Q4", "[royalties.prices.\"*\"]\nflat = \"1.5\"\n", ""); err != nil || s.Royalty != 7_50 {
		t.Errorf("a \"*\" price: %+v, %v", s, err)
	}
	if _, err := royalty.Build(context.Background(), w.VLed, royalty.Options{Period: s.Period}); err == nil ||
		!strings.Contains(err.Error(), "no [royalties] table") {
		t.Errorf("no prices: %v", err)
	}
}

// TestStatementProrates checks the seat-year arithmetic: exact, in
// hundredths, rounded half up.
func TestStatementProrates(t *testing.T) {
	w := newWorld(t, "")
	w.Clock = time.Date(2026, 10, 10, 0, 0, 0, 0, time.UTC)
	w.Mint(1, "pro") // issued 2026-10-11, a year, 10 seats
	raw := w.License(w.Partner, "pro", 3, w.Grant)
	w.Record(raw)
	if _, err := w.Ingest(w.Create(0), report.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := build(t, w, "2026-10-01..2026-10-31", "[royalties.prices.pro]\nper_seat_year = \"0.07\"\n", "")
	if err != nil {
		t.Fatal(err)
	}
	// 10 seats x 0.07 = 0.70; 3 seats x 0.07 = 0.21.
	if s.Lines[0].Royalty != 70 || s.Lines[1].Royalty != 21 || s.Lines[1].SeatYears != 3_00 || s.Royalty != 91 {
		t.Errorf("lines = %+v %+v", s.Lines[0], s.Lines[1])
	}
}

func TestStatementOutputs(t *testing.T) {
	w := statementWorld(t)
	s, err := build(t, w, "2026-Q4", prices, "")
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Royalty statement 2026-Q4 (2026-10-01 to 2026-12-31), UTC\n",
		"Vendor: acme\n",
		"PARTNER  TIER  LICENSES  SEATS  SEAT-YEARS  GRACE  PRICE                 ROYALTY\n",
		"globex   pro   3         30     30.00       0.00   120.00 per seat-year  3600.00\n",
		"globex   team  2         20     20.00       0.00   50.00 flat            100.00\n",
		"TOTAL          5                                                         3700.00 EUR\n",
		"2026-10  3         3600.00\n",
		"2026-12  0         0.00\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}

	var js bytes.Buffer
	if err := json.NewEncoder(&js).Encode(s); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Period struct {
			Name    string
			LastDay string `json:"last_day"`
		}
		Royalty string
		Rows    []struct {
			Tier      string
			SeatYears string `json:"seat_years"`
		}
		Months []struct {
			Month  string
			ByTier map[string]struct{ Licenses int } `json:"by_tier"`
		}
		Lines []struct{ License, Royalty string }
	}
	if err := json.Unmarshal(js.Bytes(), &j); err != nil {
		t.Fatal(err)
	}
	if j.Royalty != "3700.00" || j.Period.Name != "2026-Q4" || j.Period.LastDay != "2026-12-31" || j.Rows[0].SeatYears != "30.00" ||
		j.Months[1].ByTier["team"].Licenses != 2 || len(j.Lines) != 5 || j.Lines[4].Royalty != "50.00" {
		t.Errorf("JSON = %s", js.String())
	}

	var c bytes.Buffer
	if err := s.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(recs) != 6 || recs[0][0] != "partner" || recs[1][4] != "pro" || recs[1][8] != "0" || recs[1][14] != "1200.00" || recs[1][15] != "EUR" ||
		recs[1][16] != "2026-10-08T09:00:00Z" || recs[1][17] != "false" {
		t.Errorf("CSV = %q, %v", recs, err)
	}
}

// TestStatementCSVDefusesFormulas: a licensee named like a formula stays
// text in a spreadsheet.
func TestStatementCSVDefusesFormulas(t *testing.T) {
	s := &royalty.Statement{Lines: []*royalty.Line{{Partner: "globex", Subject: "=HYPERLINK(\"x\")", Tier: "@pro",
		Price: &policy.Price{Basis: policy.Flat, Amount: 1}}}}
	var c bytes.Buffer
	if err := s.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&c).ReadAll()
	if recs[1][3] != `'=HYPERLINK("x")` || recs[1][4] != "'@pro" || recs[1][0] != "globex" {
		t.Errorf("CSV = %q", recs)
	}
}

// TestStatementHTML checks the page's text: self-contained, a policy that
// forbids every request, escaped text, one bar per tier and month.
func TestStatementHTML(t *testing.T) {
	w := statementWorld(t)
	s, err := build(t, w, "2026-Q4", prices, "")
	if err != nil {
		t.Fatal(err)
	}
	s.Lines[0].Subject = `<script>alert(1)</script>`
	var b bytes.Buffer
	if err := s.WriteHTML(&b, w.Clock); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;; img-src data:; base-uri &#39;none&#39;; form-action &#39;none&#39;">`,
		`<tr class="tier-row" data-partner="globex" data-tier="pro">`,
		`<td class="num" id="total-royalty">3700.00 EUR</td>`,
		`<svg id="chart-licenses"`, `<svg id="chart-royalties"`,
		`data-tier="pro" data-month="2026-10" data-value="3"`,
		`data-tier="team" data-month="2026-11" data-value="100"`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, bad := range []string{"<script", "http://", "https://", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q: it must load nothing", bad)
		}
	}
	if n := strings.Count(page, `<rect class="bar"`); n != 4 {
		t.Errorf("%d bars, want 4 (pro and team, one month each, in two charts)", n)
	}
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 2, 14, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, name, start, last string }{
		{"2026-Q4", "2026-Q4", "2026-10-01", "2026-12-31"},
		{"2026-q1", "2026-Q1", "2026-01-01", "2026-03-31"},
		{"2026-02", "2026-02", "2026-02-01", "2026-02-28"},
		{"2024", "2024", "2024-01-01", "2024-12-31"},
		{"2026-10-15..2026-11-14", "2026-10-15..2026-11-14", "2026-10-15", "2026-11-14"},
		{"this-month", "2026-02", "2026-02-01", "2026-02-28"},
		{"last-month", "2026-01", "2026-01-01", "2026-01-31"},
		{"this-quarter", "2026-Q1", "2026-01-01", "2026-03-31"},
		{"last-quarter", "2025-Q4", "2025-10-01", "2025-12-31"},
		{"this-year", "2026", "2026-01-01", "2026-12-31"},
		{"last-year", "2025", "2025-01-01", "2025-12-31"},
	} {
		p, err := royalty.ParsePeriod(c.in, now)
		if err != nil || p.Name != c.name || p.Start.Format(time.DateOnly) != c.start || p.LastDay().Format(time.DateOnly) != c.last {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %s %s..%s", c.in, p, err, c.name, c.start, c.last)
		}
	}
	for _, in := range []string{"", "2026-Q5", "2026-13", "26", "2026-11-31..2026-12-01", "2026-12-01..2026-11-01", "2000-01-01..2030-01-02", "yesterday"} {
		if p, err := royalty.ParsePeriod(in, now); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", in, p)
		}
	}
}
