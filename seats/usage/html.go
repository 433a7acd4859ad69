package usage

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sync"
	"time"

	"github.com/licet/licet/internal/statementpage"
)

//go:embed statement.html
var statementHTML string

// statementTemplate is parsed on first use.
var statementTemplate = sync.OnceValue(func() *template.Template {
	return statementpage.Parse(statementHTML, nil)
})

// ContentSecurityPolicy is the policy of the HTML statement: nothing is
// fetched, nothing runs; only its own inline styles apply.
const ContentSecurityPolicy = statementpage.ContentSecurityPolicy

// Colours of the HTML statement: the products (Tableau 10 but the two
// colours of the peaks, in the order of Statement.Products), and a day's
// peak within the seats or over them.
var palette = []string{"#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

const (
	colorPeak = "#4e79a7"
	colorOver = "#e15759"
)

// WriteHTML writes the statement as one self-contained HTML page: the
// totals, a chart of the peak seats per day against the grant's seats
// (days over them in red), a chart of the seat-hours per day stacked by
// product, both in inline SVG, and the tables of WriteText. It loads
// nothing: its Content-Security-Policy forbids every request.
func (s *Statement) WriteHTML(w io.Writer, generated time.Time) error {
	colors := map[string]string{}
	var legend []legendItem
	for i, p := range s.Products {
		colors[p] = palette[i%len(palette)]
		legend = append(legend, legendItem{Product: p, Color: colors[p]})
	}
	type productRow struct {
		Day     string
		Product string
		U       *Usage
	}
	type dayRow struct {
		D    *Day
		Over string
	}
	var days []dayRow
	var rows []productRow
	for _, d := range s.Days {
		days = append(days, dayRow{D: d, Over: s.over(d.Peak)})
		for _, p := range d.products() {
			rows = append(rows, productRow{Day: d.Label(), Product: p, U: d.ByProduct[p]})
		}
	}
	data := struct {
		S         *Statement
		Head      statementpage.Head
		Generated string
		First     string
		Last      string
		Over      string
		Legend    []legendItem
		Charts    []*chart
		DayRows   []dayRow
		Rows      []productRow
	}{
		S: s, Head: statementpage.NewHead("Seat usage of "+s.Site.Site, 140, "  .over { color: #b3261e; font-weight: 600; }"), Generated: rfc3339(generated), First: rfc3339(s.First), Last: rfc3339(s.Last),
		Over: s.over(s.Total.Peak), Legend: legend, DayRows: days, Rows: rows,
		Charts: []*chart{s.peakChart(), s.hoursChart(colors)},
	}
	return statementTemplate().Execute(w, data)
}

type legendItem struct{ Product, Color string }

// chart is a bar chart, laid out for SVG.
type chart struct {
	ID, Title, Unit string
	Width, Height   int
	PlotLeft        float64
	PlotRight       float64
	Baseline        float64
	Bars            []chartBar
	Ticks           []chartTick
	Labels          []chartLabel
	// Limit, when set, is a dashed line at the grant's seats.
	Limit *chartTick
}

type chartBar struct {
	X, Y, W, H     float64
	Color, Product string
	Day            string
	Value          string
}

type chartTick = statementpage.Tick

type chartLabel = statementpage.Label

const chartWidth, chartHeight, chartLeft, chartRight, chartTop, chartBottom = 640, 260, 64.0, 16.0, 16.0, 36.0

// newChart lays out the axes of a chart whose values reach top, with a
// slot per day.
func (s *Statement) newChart(id, title, unit string, top float64, whole bool) (*chart, float64, func(i int) float64) {
	c := &chart{ID: id, Title: title, Unit: unit, Width: chartWidth, Height: chartHeight, PlotLeft: chartLeft,
		PlotRight: chartWidth - chartRight, Baseline: chartHeight - chartBottom}
	step := statementpage.NiceStep(top / 4)
	if whole {
		step = math.Max(math.Ceil(step), 1)
	}
	plotH := c.Baseline - chartTop
	for i := 0; i <= 4; i++ {
		c.Ticks = append(c.Ticks, chartTick{Y: statementpage.Round1(c.Baseline - plotH*float64(i)/4), Label: statementpage.FormatTick(step * float64(i))})
	}
	scale := plotH / (4 * step)
	n := len(s.Days)
	slot := (c.PlotRight - c.PlotLeft) / float64(max(n, 1))
	every := (n + 13) / 14 // at most 14 day labels
	for i, d := range s.Days {
		if i%every == 0 {
			c.Labels = append(c.Labels, chartLabel{X: statementpage.Round1(c.PlotLeft + slot*(float64(i)+0.5)), Label: d.Date.Format("01-02")})
		}
	}
	return c, scale, func(i int) float64 { return c.PlotLeft + slot*float64(i) }
}

// peakChart is the peak seats per day, with the grant's seats as a line.
func (s *Statement) peakChart() *chart {
	top := float64(max(s.Total.Peak, int(min(s.Seats, math.MaxInt32))))
	c, scale, x := s.newChart("chart-peak", "Peak seats in use per day", "seats", top, true)
	slot := x(1) - x(0)
	for i, d := range s.Days {
		if d.Peak == 0 {
			continue
		}
		color := colorPeak
		if s.over(d.Peak) != "" {
			color = colorOver
		}
		h := scale * float64(d.Peak)
		c.Bars = append(c.Bars, chartBar{X: statementpage.Round1(x(i) + slot*0.2), Y: statementpage.Round1(c.Baseline - h), W: statementpage.Round1(slot * 0.6), H: statementpage.Round1(h),
			Color: color, Day: d.Label(), Value: fmt.Sprint(d.Peak)})
	}
	if s.Seats > 0 {
		c.Limit = &chartTick{Y: statementpage.Round1(c.Baseline - scale*float64(s.Seats)), Label: fmt.Sprintf("%d seats", s.Seats)}
	}
	return c
}

// hoursChart is the seat-hours per day, stacked by product.
func (s *Statement) hoursChart(colors map[string]string) *chart {
	top := 0.0
	for _, d := range s.Days {
		top = math.Max(top, float64(d.SeatSeconds)/3600)
	}
	c, scale, x := s.newChart("chart-hours", "Seat-hours per day", "seat-hours", top, false)
	slot := x(1) - x(0)
	for i, d := range s.Days {
		y := c.Baseline
		for _, p := range s.Products {
			u := d.ByProduct[p]
			if u == nil || u.SeatSeconds == 0 {
				continue
			}
			h := scale * float64(u.SeatSeconds) / 3600
			y -= h
			c.Bars = append(c.Bars, chartBar{X: statementpage.Round1(x(i) + slot*0.2), Y: statementpage.Round1(y), W: statementpage.Round1(slot * 0.6), H: statementpage.Round1(h),
				Color: colors[p], Product: p, Day: d.Label(), Value: u.SeatHours()})
		}
	}
	return c
}
