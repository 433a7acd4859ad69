package royalty_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet/internal/statementpage/browsertest"
)

// TestStatementInChromium renders the HTML statement in headless Chromium
// and checks the DOM it built (tier rows, totals, the charts' bars) and a
// screenshot (the expected size, the tiers' colours on it, not blank).
func TestStatementInChromium(t *testing.T) {
	browsertest.Chromium(t)
	w := statementWorld(t)
	s, err := build(t, w, "2026-Q4", prices, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteHTML(&b, w.Clock); err != nil {
		t.Fatal(err)
	}
	page := browsertest.WritePage(t, b.Bytes())

	dom := string(browsertest.Run(t, page, "--dump-dom"))
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<tr class="tier-row" data-partner="globex" data-tier="pro"><td>globex</td><td>pro</td><td class="num">3</td><td class="num">30</td><td class="num">30.00</td><td class="num">0.00</td><td>120.00 per seat-year</td><td class="num">3600.00</td></tr>`),
		regexp.MustCompile(`<tr class="tier-row" data-partner="globex" data-tier="team">.*<td class="num">100.00</td></tr>`),
		regexp.MustCompile(`<td class="num" id="total-licenses">5</td>`),
		regexp.MustCompile(`<td class="num" id="total-royalty">3700.00 EUR</td>`),
		regexp.MustCompile(`<svg id="chart-licenses" class="chart" width="640" height="260"`),
		regexp.MustCompile(`<svg id="chart-royalties" class="chart"`),
		regexp.MustCompile(`<rect class="bar" data-tier="pro" data-month="2026-10" data-value="3" [^>]*fill="#4e79a7">`),
		regexp.MustCompile(`<rect class="bar" data-tier="team" data-month="2026-11" data-value="100" [^>]*fill="#f28e2b">`),
		regexp.MustCompile(`<li data-tier="team">`),
	} {
		if !want.MatchString(dom) {
			t.Errorf("the DOM lacks %s", want)
		}
	}
	if n := strings.Count(dom, `<tr class="tier-row"`); n != 2 {
		t.Errorf("%d tier rows, want 2", n)
	}
	if n := strings.Count(dom, `<tr class="line"`); n != 5 {
		t.Errorf("%d license rows, want 5", n)
	}
	if n := strings.Count(dom, `<rect class="bar"`); n != 4 {
		t.Errorf("%d bars, want 4", n)
	}

	browsertest.Screenshot(t, page, 1000, 1300, "#4e79a7", "#f28e2b")
}

// TestStatementPolicyBlocksRequests shows that the page's policy forbids
// requests: the same page with an image and a style sheet from a local
// server fetches nothing, and without the policy it does (so the test can
// see a request).
func TestStatementPolicyBlocksRequests(t *testing.T) {
	browsertest.Chromium(t)
	w := statementWorld(t)
	s, err := build(t, w, "2026-Q4", prices, "")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := s.WriteHTML(&b, w.Clock); err != nil {
		t.Fatal(err)
	}
	browsertest.PolicyBlocksRequests(t, b.Bytes())
}
