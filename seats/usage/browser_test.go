package usage

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which .ci/services installs.
const chromiumPath = "/usr/bin/chromium"

// chromium returns the browser, skipping the test when it is absent,
// except under CI=true, where that fails.
func chromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is absent under CI=true: .ci/services installs it (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("%s is absent: this browser test skips; to run it, install Chromium with `. .ci/services` (apt-get install chromium) and run go test again", chromiumPath)
	}
	return chromiumPath
}

// runChromium runs headless Chromium on a file with extra flags and
// returns its standard output.
func runChromium(t *testing.T, page string, extra ...string) []byte {
	t.Helper()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}, extra...)
	args = append(args, "file://"+page)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium(t), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(extra, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// TestStatementInChromium renders the HTML statement in headless Chromium
// and checks the DOM it built (day rows, totals, the charts' bars, the
// line at the grant's seats) and a screenshot (the expected size, the
// peak colours and the products' on it, not blank).
func TestStatementInChromium(t *testing.T) {
	chromium(t)
	var b bytes.Buffer
	if err := sample().WriteHTML(&b, t0); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "statement.html")
	if err := os.WriteFile(page, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	dom := string(runChromium(t, page, "--dump-dom"))
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

	shot := filepath.Join(t.TempDir(), "statement.png")
	runChromium(t, page, "--screenshot="+shot, "--window-size=1000,1300", "--hide-scrollbars")
	checkScreenshot(t, shot, 1000, 1300, "#e15759", "#4e79a7", "#f28e2b", "#59a14f")
	if keep := os.Getenv("LICET_KEEP_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o600)
	}
}

// checkScreenshot decodes a PNG and checks its size, that it is not blank
// (many colours, a share of dark pixels from the text) and that each
// colour appears in a run of pixels (a bar).
func checkScreenshot(t *testing.T, path string, width, height int, colors ...string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("the screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), width, height)
	}
	seen := map[[3]uint32]int{}
	dark := 0
	for y := 0; y < height; y++ {
		for x := 0; x < width; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, b >> 8}]++
			if r>>8 < 100 && g>>8 < 100 && b>>8 < 100 {
				dark++
			}
		}
	}
	if len(seen) < 50 {
		t.Errorf("the screenshot has %d colours: blank or nearly", len(seen))
	}
	if share := float64(dark) / float64(width*height); share < 0.005 {
		t.Errorf("%.4f of the screenshot is dark: no text rendered", share)
	}
	for _, c := range colors {
		var rgb [3]uint32
		for i := range rgb {
			var v uint32
			for _, ch := range c[1+2*i : 3+2*i] {
				v = v*16 + uint32(strings.IndexRune("0123456789abcdef", ch))
			}
			rgb[i] = v
		}
		if seen[rgb] < 200 {
			t.Errorf("colour %s covers %d pixels: its bars are not drawn", c, seen[rgb])
		}
	}
}

// TestStatementPolicyBlocksRequests shows that the page's policy forbids
// requests: the same page with an image and a style sheet from a local
// server fetches nothing, and without the policy it does (so the test can
// see a request).
func TestStatementPolicyBlocksRequests(t *testing.T) {
	chromium(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	var b bytes.Buffer
	if err := sample().WriteHTML(&b, t0); err != nil {
		t.Fatal(err)
	}
	inject := `<img src="` + srv.URL + `/pixel.png"><link rel="stylesheet" href="` + srv.URL + `/style.css"></body>`
	for _, c := range []struct {
		name   string
		page   string
		wanted bool
	}{
		{"with the policy", strings.Replace(b.String(), "</body>", inject, 1), false},
		{"without it", strings.Replace(regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`).ReplaceAllString(b.String(), ""), "</body>", inject, 1), true},
	} {
		hits.Store(0)
		page := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(page, []byte(c.page), 0o600); err != nil {
			t.Fatal(err)
		}
		runChromium(t, page, "--dump-dom", "--virtual-time-budget=2000")
		if got := hits.Load() > 0; got != c.wanted {
			t.Errorf("%s: %d requests reached the server", c.name, hits.Load())
		}
	}
}
