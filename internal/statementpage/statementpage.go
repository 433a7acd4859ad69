// Package statementpage holds what the HTML statements of package
// royalty (royalties of partners) and package seats/usage (seat usage of
// a site) share: the head of the page (its Content-Security-Policy, its
// style), the template functions and the axes of their bar charts. Each
// package keeps its own body, tables and bars.
package statementpage

import (
	_ "embed"
	"fmt"
	"html/template"
	"math"
)

// ContentSecurityPolicy is the policy of an HTML statement: nothing is
// fetched, nothing runs; only its own inline styles apply.
const ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

//go:embed head.html
var headHTML string

// Head is what the template "head" takes: the page up to its body, with
// the title, the minimum width of a summary card and the style rules of
// the page's own (each line indented by two spaces, one rule a line).
type Head struct {
	CSP       string
	Title     string
	CardWidth int
	Style     template.CSS
}

// NewHead returns the Head of a page with [ContentSecurityPolicy].
func NewHead(title string, cardWidth int, style template.CSS) Head {
	return Head{CSP: ContentSecurityPolicy, Title: title, CardWidth: cardWidth, Style: style}
}

// Parse parses a statement page, which writes its head with
// {{template "head" .Head}}, with the functions add and subtract (of
// float64s) and funcs. It panics on an error, as [template.Must].
func Parse(page string, funcs template.FuncMap) *template.Template {
	t := template.New("statement").Funcs(template.FuncMap{
		"add":      func(a, b float64) float64 { return a + b },
		"subtract": func(a, b float64) float64 { return a - b },
	}).Funcs(funcs)
	template.Must(t.Parse(headHTML))
	return template.Must(t.Parse(page))
}

// Tick is a horizontal line of a chart's grid, with its label.
type Tick struct {
	Y     float64
	Label string
}

// Label is a label under a chart's axis.
type Label struct {
	X     float64
	Label string
}

// NiceStep rounds a tick step up to 1, 2 or 5 times a power of ten.
func NiceStep(v float64) float64 {
	if v <= 0 {
		return 0.25
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// FormatTick writes a value of a chart: whole, or with two decimals.
func FormatTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// Round1 rounds a coordinate to a tenth.
func Round1(v float64) float64 { return math.Round(v*10) / 10 }
