package usage

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet/internal/statementpage/browsertest"
)

// TestStatementInChromium renders the HTML statement in headless Chromium
// and checks the DOM it built (day rows, totals, the charts' bars, the
// line at the grant's seats) and a screenshot (the expected size, the
// peak colours and the products' on it, not blank).
func TestStatementInChromium(t *testing.T) {
	browsertest.Chromium(t)
	var b bytes.Buffer
	if err := sample().WriteHTML(&b, t0); err != nil {
		t.Fatal(err)
	}
	page := browsertest.WritePage(t, b.Bytes())

	dom := string(browsertest.Run(t, page, "--dump-dom"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<tr class="day-row over-row" data-day="2026-12-07"><td>2026-12-07</td><td class="num">3</td><td class="num over">\+1</td><td class="num">1.83</td><td class="num">1</td><td class="num">1</td><td class="num">3</td></tr>`),
		regexp.MustCompile(`<tr class="day-row" data-day="2026-12-08"><td>2026-12-08</td><td class="num">2</td>`),
		regexp.MustCompile(`<td class="num" id="total-hours">14.33</td>`),
		regexp.MustCompile(`<div class="value over" id="card-peak">3 / 2</div>`),
		regexp.MustCompile(`<svg id="chart-peak" class="chart" width="640" height="260"`),
		regexp.MustCompile(`<rect class="bar" data-day="2026-12-07" data-value="3" [^>]*fill="#e15759">`),
		regexp.MustCompile(`<rect class="bar" data-day="2026-12-08" data-value="2" [^>]*fill="#4e79a7">`),
		regexp.MustCompile(`<rect class="bar" data-day="2026-12-08" data-product="widget" data-value="12.00" [^>]*fill="#59a14f">`),
		regexp.MustCompile(`<line class="limit" `),
		regexp.MustCompile(`<li data-product="widget">`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("the DOM lacks %s", want)
		}
	}
	if n := strings.Count(dom, `<tr class="product-row"`); n != 4 {
		t.Errorf("%d product rows, want 4", n)
	}
	if n := strings.Count(dom, `<rect class="bar"`); n != 6 {
		t.Errorf("%d bars, want 6", n)
	}

	browsertest.Screenshot(t, page, 1000, 1300, "#e15759", "#4e79a7", "#f28e2b", "#59a14f")
}

// TestStatementPolicyBlocksRequests shows that the page's policy forbids
// requests: the same page with an image and a style sheet from a local
// server fetches nothing, and without the policy it does (so the test can
// see a request).
func TestStatementPolicyBlocksRequests(t *testing.T) {
	browsertest.Chromium(t)
	var b bytes.Buffer
	if err := sample().WriteHTML(&b, t0); err != nil {
		t.Fatal(err)
	}
	browsertest.PolicyBlocksRequests(t, b.Bytes())
}
