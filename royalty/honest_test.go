package royalty_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/reporttest"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/report"
	"github.com/licet/licet/royalty"
)

const day = 24 * time.Hour

// TestStatementBillsGrace: a 1-day license with 364 days of grace is
// billed for 365 days, and the grace shows in every output format.
func TestStatementBillsGrace(t *testing.T) {
	w := newWorld(t, "")
	w.PartnerLicense("one-day", time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC), 1, 364*day, 2)
	w.Clock = time.Date(2026, 10, 7, 0, 0, 0, 0, time.UTC)
	if _, err := w.Ingest(w.Create(0), report.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := build(t, w, "2026-Q4", prices, "")
	if err != nil {
		t.Fatal(err)
	}
	l := s.Lines[0]
	// 2 seats x 365 days = 2 seat-years, 728/365 of them grace (1.99).
	if l.Grace != 364*day || l.SeatYears != 2_00 || l.GraceSeatYears != 1_99 || l.Royalty != 240_00 || s.Royalty != 240_00 {
		t.Fatalf("line = %+v, total %s: want 2 seat-years (1.99 of grace), 240.00", l, s.Royalty)
	}
	if r := s.Rows[0]; r.SeatYears != 2_00 || r.Grace != 1_99 {
		t.Errorf("row = %+v", r)
	}

	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "globex   pro   1         2      2.00        1.99   120.00 per seat-year  240.00\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text lacks %q:\n%s", want, text.String())
	}
	var c bytes.Buffer
	if err := s.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil || recs[0][8] != "grace" || recs[1][8] != "31449600" || recs[1][10] != "2.00" || recs[1][11] != "1.99" || recs[1][14] != "240.00" {
		t.Errorf("CSV = %q, %v", recs, err)
	}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Rows []struct {
			Grace string `json:"grace_seat_years"`
		}
		Lines []struct {
			Grace     int64
			SeatYears string `json:"seat_years"`
			GraceSY   string `json:"grace_seat_years"`
		}
	}
	if err := json.Unmarshal(js, &j); err != nil || j.Rows[0].Grace != "1.99" || j.Lines[0].Grace != 31449600 || j.Lines[0].SeatYears != "2.00" || j.Lines[0].GraceSY != "1.99" {
		t.Errorf("JSON = %s, %v", js, err)
	}
	var h bytes.Buffer
	if err := s.WriteHTML(&h, w.Clock); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<td class="num">2.00</td><td class="num">1.99</td><td>120.00 per seat-year</td>`, `<td class="grace">364d</td>`} {
		if !strings.Contains(h.String(), want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

// TestLateLicenses: a license issued before the partner's previous report
// (left out of it, or backdated) is flagged at ingest and counts in the
// period of the report that first held it, listed as late.
func TestLateLicenses(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			// October is invoiced. In November the partner reports a license
			// dated October 7, and one of November.
			w := reporttest.LateWorld(t, keySeed, b.Location(t))
			oct := func(d int) time.Time { return time.Date(2026, 10, d, 9, 0, 0, 0, time.UTC) }

			s, err := build(t, w, "2026-10", prices, "")
			if err != nil || s.Licenses != 1 || s.Lines[0].Subject != "on-time" || s.Late != 0 {
				t.Fatalf("October: %+v, %v; want the on-time license only", s, err)
			}
			s, err = build(t, w, "2026-11", prices, "")
			if err != nil || s.Licenses != 2 || s.Late != 1 || s.Royalty != 240_00 || s.Months[0].Licenses != 2 {
				t.Fatalf("November: %+v, %v; want the backdated and the November license", s, err)
			}
			l := s.Lines[1]
			if l.Subject != "backdated" || !l.Late || !l.Issued.Equal(oct(7)) || !l.Reported.Equal(w.Clock) || !l.Counted().Equal(w.Clock) || s.Lines[0].Late {
				t.Errorf("lines: %+v %+v", s.Lines[0], l)
			}
			if q, err := build(t, w, "2026-Q4", prices, ""); err != nil || q.Licenses != 3 || q.Late != 1 {
				t.Errorf("the quarter: %+v, %v; want every license once", q, err)
			}

			var text bytes.Buffer
			if err := s.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				"\nLate: 1 issued before the partner's previous report, counted when first reported\n",
				"PARTNER  LICENSE                           LICENSEE   TIER  ISSUED      REPORTED    ROYALTY\n",
				"globex   " + l.LicenseID + "  backdated  pro   2026-10-07  2026-11-20  120.00\n",
			} {
				if !strings.Contains(text.String(), want) {
					t.Errorf("text lacks %q:\n%s", want, text.String())
				}
			}
			var c bytes.Buffer
			if err := s.WriteCSV(&c); err != nil {
				t.Fatal(err)
			}
			recs, _ := csv.NewReader(&c).ReadAll()
			if recs[0][16] != "reported" || recs[0][17] != "late" || recs[2][3] != "backdated" || recs[2][16] != "2026-11-20T09:00:00Z" || recs[2][17] != "true" || recs[1][17] != "false" {
				t.Errorf("CSV = %q", recs)
			}
			js, _ := json.Marshal(s)
			var j struct {
				Late  int
				Lines []struct {
					Sub      string
					Reported string
					Late     bool
				}
			}
			if err := json.Unmarshal(js, &j); err != nil || j.Late != 1 || !j.Lines[1].Late || j.Lines[1].Reported != "2026-11-20T09:00:00Z" || j.Lines[0].Late {
				t.Errorf("JSON = %s, %v", js, err)
			}
			var h bytes.Buffer
			if err := s.WriteHTML(&h, w.Clock); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`<div class="value late" id="card-late">1</div>`,
				`<tr class="line late-line" data-license="` + l.LicenseID + `"><td>2026-10-07</td><td>2026-11-20 <span class="late">late</span></td>`} {
				if !strings.Contains(h.String(), want) {
					t.Errorf("the page lacks %s", want)
				}
			}
		})
	}
}

// TestStatementTextIsPrintable: text from partners' tokens cannot drive
// the terminal.
func TestStatementTextIsPrintable(t *testing.T) {
	s := &royalty.Statement{Late: 1, Rows: []*royalty.Row{{Partner: "globex", Tier: "pro\x1b[2J", Price: &policy.Price{Basis: policy.Flat}}},
		Lines: []*royalty.Line{{Partner: "globex", Subject: "x\x1b]0;owned\a", Tier: "pro", Late: true, Price: &policy.Price{Basis: policy.Flat}}}}
	var text bytes.Buffer
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(text.String(), "\x1b\a") || !strings.Contains(text.String(), `"x\x1b]0;owned\a"`) || !strings.Contains(text.String(), `"pro\x1b[2J"`) {
		t.Errorf("text = %q", text.String())
	}
}
