package usage

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// sample is a statement of two days: Monday over the 2 seats (3 at
// once), a refusal, a borrow, two products, one named like a formula.
func sample() *Statement {
	var l log
	midnight := t0.Truncate(24 * time.Hour).Add(24 * time.Hour)
	l.add(midnight.Add(-time.Hour), EventGranted, "c", "widget", midnight)
	l.add(midnight.Add(-30*time.Minute), EventGranted, "a", "=cmd|calc", midnight.Add(30*time.Minute))
	l.add(midnight.Add(-20*time.Minute), EventBorrowed, "b", "widget", midnight.Add(12*time.Hour))
	l.add(midnight.Add(-10*time.Minute), EventRefused, "", "widget", time.Time{})
	l.add(midnight.Add(-5*time.Minute), EventSafeMode, "", "", midnight.Add(55*time.Minute))
	l.events[len(l.events)-1].Reason = "the head file is missing"
	return Build(site, l.events, Options{})
}

func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `Seat usage of site plant-1 (vendor acme, grant 00112233445566778899aabbccddeeff): 2 seats
5 records, 2026-12-07T23:00:00Z to 2026-12-07T23:55:00Z; days in UTC

DAY         PEAK  OVER  SEAT-HOURS  REFUSED  BORROWS  LEASES
2026-12-07  3     +1    1.83        1        1        3
2026-12-08  2           12.50       0        0        0
TOTAL       3     +1    14.33       1        1        3
Safe mode from 2026-12-07T23:55:00Z until 2026-12-08T00:55:00Z: the server could not trust its state (the head file is missing).
Over the 2 seats of the grant on 1 day.

DAY         PRODUCT    PEAK  SEAT-HOURS  REFUSED  BORROWS  LEASES
2026-12-07  =cmd|calc  1     0.50        0        0        1
2026-12-07  widget     2     1.33        1        1        2
2026-12-08  =cmd|calc  1     0.50        0        0        0
2026-12-08  widget     1     12.00       0        0        0
`
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := sample().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range recs {
		got = append(got, strings.Join(r, ","))
	}
	want := []string{
		"day,product,peak,seats,over,seat_hours,seat_seconds,refusals,borrows,leases",
		"2026-12-07,*,3,2,1,1.83,6600,1,1,3",
		"2026-12-07,'=cmd|calc,1,2,0,0.50,1800,0,0,1",
		"2026-12-07,widget,2,2,0,1.33,4800,1,1,2",
		"2026-12-08,*,2,2,0,12.50,45000,0,0,0",
		"2026-12-08,'=cmd|calc,1,2,0,0.50,1800,0,0,0",
		"2026-12-08,widget,1,2,0,12.00,43200,0,0,0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CSV:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestMarshalJSON(t *testing.T) {
	data, err := json.Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Seats    int      `json:"seats"`
		OverDays int      `json:"over_days"`
		Products []string `json:"products"`
		Total    struct {
			Peak      int    `json:"peak"`
			SeatHours string `json:"seat_hours"`
		} `json:"total"`
		Days []struct {
			Day       string `json:"day"`
			Peak      int    `json:"peak"`
			Over      int    `json:"over"`
			Refusals  int    `json:"refusals"`
			ByProduct map[string]struct {
				SeatSeconds int64 `json:"seat_seconds"`
			} `json:"by_product"`
		} `json:"days"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		t.Fatal(err)
	}
	if j.Seats != 2 || j.OverDays != 1 || j.Total.Peak != 3 || j.Total.SeatHours != "14.33" || len(j.Days) != 2 ||
		j.Days[0].Over != 1 || j.Days[0].Refusals != 1 || j.Days[1].ByProduct["widget"].SeatSeconds != 43200 || len(j.Products) != 2 {
		t.Errorf("JSON: %s", data)
	}
	empty, err := json.Marshal(Build(site, nil, Options{}))
	if !bytes.Contains(data, []byte(`"safe_modes":[{"at":"2026-12-07T23:55:00Z","until":"2026-12-08T00:55:00Z","reason":"the head file is missing"}]`)) {
		t.Errorf("JSON safe modes: %s", data)
	}
	if err != nil || !bytes.Contains(empty, []byte(`"days":[]`)) || !bytes.Contains(empty, []byte(`"first":null`)) || !bytes.Contains(empty, []byte(`"safe_modes":[]`)) {
		t.Errorf("empty statement JSON: %s (%v)", empty, err)
	}
}

// TestWriteHTML: the page carries its policy, escapes what the records
// say, and draws the peaks with the day over the seats in red.
func TestWriteHTML(t *testing.T) {
	s := sample()
	s.Products = append(s.Products, "<script>alert(1)</script>")
	var b bytes.Buffer
	if err := s.WriteHTML(&b, t0); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		`<meta http-equiv="Content-Security-Policy" content="` + strings.ReplaceAll(ContentSecurityPolicy, "'", "&#39;") + `">`,
		`<rect class="bar" data-day="2026-12-07" data-value="3" x=`,
		`fill="#e15759"><title>2026-12-07: 3 seats</title>`,
		`<line class="limit"`,
		`<td class="num" id="total-hours">14.33</td>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`<li class="over">from 2026-12-07T23:55:00Z until 2026-12-08T00:55:00Z: the server could not trust its state (the head file is missing)</li>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page holds a script or a link out")
	}
}
