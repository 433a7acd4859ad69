package royalty

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

// statementTemplate is parsed on first use: commands that write no
// statement (licet verify, inspect) do not pay for it at start.
var statementTemplate = sync.OnceValue(func() *template.Template {
	return statementpage.Parse(statementHTML, template.FuncMap{"grace": formatGrace})
})

// formatGrace writes a grace period for people: "30d", "12h", "none".
func formatGrace(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d <= 0:
		return "none"
	case d%day == 0:
		return fmt.Sprintf("%dd", d/day)
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// ContentSecurityPolicy is the policy of the HTML statement: nothing is
// fetched, nothing runs; only its own inline styles apply.
const ContentSecurityPolicy = statementpage.ContentSecurityPolicy

// palette colours the tiers (Tableau 10), in the order of Statement.Tiers.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// WriteHTML writes the statement as one self-contained HTML page: the
// tables of WriteText, every license (its grace, when it was reported,
// whether it is late), and two bar charts in inline SVG
// (licenses and royalties per month, stacked by tier). It loads nothing:
// its Content-Security-Policy forbids every request.
func (s *Statement) WriteHTML(w io.Writer, generated time.Time) error {
	colors := map[string]string{}
	var legend []legendItem
	for i, t := range s.Tiers {
		colors[t] = palette[i%len(palette)]
		legend = append(legend, legendItem{Tier: t, Color: colors[t]})
	}
	data := struct {
		S         *Statement
		Head      statementpage.Head
		Generated string
		Vendors   string
		Legend    []legendItem
		Charts    []*chart
	}{
		S: s, Head: statementpage.NewHead("Royalty statement "+s.Period.Name, 160, "  .late { color: #b44d12; font-weight: 600; }"), Generated: generated.UTC().Format(time.RFC3339), Legend: legend,
		Charts: []*chart{
			s.chart("chart-licenses", "Licenses per month", "licenses", true, colors, func(tm *TierMonth) float64 { return float64(tm.Licenses) }),
			s.chart("chart-royalties", "Royalties per month", "royalty", false, colors, func(tm *TierMonth) float64 { return float64(tm.Royalty) / 100 }),
		},
	}
	for i, v := range s.Vendors {
		if i > 0 {
			data.Vendors += ", "
		}
		data.Vendors += v
	}
	return statementTemplate().Execute(w, data)
}

type legendItem struct{ Tier, Color string }

// chart is a stacked bar chart, laid out for SVG.
type chart struct {
	ID, Title, Unit string
	Width, Height   int
	PlotLeft        float64
	PlotRight       float64
	Baseline        float64
	Bars            []chartBar
	Ticks           []chartTick
	Labels          []chartLabel
}

type chartBar struct {
	X, Y, W, H  float64
	Color, Tier string
	Month       string
	Value       string
}

type chartTick = statementpage.Tick

type chartLabel = statementpage.Label

// chart lays out one chart: a stack per month, a segment per tier.
// Values are whole numbers when whole is set (the ticks too).
func (s *Statement) chart(id, title, unit string, whole bool, colors map[string]string, value func(*TierMonth) float64) *chart {
	const width, height, left, right, top, bottom = 640, 260, 64.0, 16.0, 16.0, 36.0
	c := &chart{ID: id, Title: title, Unit: unit, Width: width, Height: height, PlotLeft: left, PlotRight: width - right, Baseline: height - bottom}
	max := 0.0
	for _, m := range s.Months {
		total := 0.0
		for _, tm := range m.ByTier {
			total += value(tm)
		}
		max = math.Max(max, total)
	}
	step := statementpage.NiceStep(max / 4)
	if whole {
		step = math.Max(step, 1)
	}
	top1 := 4 * step
	plotH := c.Baseline - top
	for i := 0; i <= 4; i++ {
		v := step * float64(i)
		c.Ticks = append(c.Ticks, chartTick{Y: c.Baseline - plotH*float64(i)/4, Label: statementpage.FormatTick(v)})
	}
	n := len(s.Months)
	if n == 0 {
		return c
	}
	slot := (c.PlotRight - c.PlotLeft) / float64(n)
	every := (n + 11) / 12 // at most 12 month labels
	for i, m := range s.Months {
		x := c.PlotLeft + slot*float64(i)
		if i%every == 0 {
			c.Labels = append(c.Labels, chartLabel{X: x + slot/2, Label: m.Label()})
		}
		y := c.Baseline
		for _, t := range s.Tiers {
			tm := m.ByTier[t]
			if tm == nil || value(tm) == 0 {
				continue
			}
			h := plotH * value(tm) / top1
			y -= h
			c.Bars = append(c.Bars, chartBar{X: statementpage.Round1(x + slot*0.2), Y: statementpage.Round1(y), W: statementpage.Round1(slot * 0.6), H: statementpage.Round1(h),
				Color: colors[t], Tier: t, Month: m.Label(), Value: statementpage.FormatTick(value(tm))})
		}
	}
	return c
}
