// Package browsertest runs headless Chromium for the browser tests of the
// HTML pages licet writes (the statements of packages royalty and
// seats/usage, the server's console): it finds the browser, renders a
// page to its DOM or a screenshot, checks the screenshot and checks that
// a page's Content-Security-Policy forbids every request.
package browsertest

import (
	"bytes"
	"context"
	"fmt"
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

// ChromiumPath is Debian's Chromium, which .ci/services installs.
const ChromiumPath = "/usr/bin/chromium"

// Chromium returns the browser, skipping the test when it is absent,
// except under CI=true, where that fails.
func Chromium(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is absent under CI=true: .ci/services installs it (apt-get install chromium)", ChromiumPath)
		}
		t.Skipf("%s is absent: this browser test skips; to run it, install Chromium with `. .ci/services` (apt-get install chromium) and run go test again", ChromiumPath)
	}
	return ChromiumPath
}

// Run runs headless Chromium on a file with extra flags and returns its
// standard output.
func Run(t testing.TB, page string, extra ...string) []byte {
	t.Helper()
	args := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}, extra...)
	args = append(args, "file://"+page)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, Chromium(t), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(extra, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// WritePage writes html to a file in a temporary directory of the test
// and returns its path.
func WritePage(t testing.TB, html []byte) string {
	t.Helper()
	page := filepath.Join(t.TempDir(), "statement.html")
	if err := os.WriteFile(page, html, 0o600); err != nil {
		t.Fatal(err)
	}
	return page
}

// Screenshot renders page at width x height, checks the screenshot (see
// [CheckScreenshot]) and copies it to $LICET_KEEP_SCREENSHOT when set.
func Screenshot(t testing.TB, page string, width, height int, colors ...string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "statement.png")
	Run(t, page, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", width, height), "--hide-scrollbars")
	CheckScreenshot(t, shot, width, height, colors...)
	if keep := os.Getenv("LICET_KEEP_SCREENSHOT"); keep != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(keep, data, 0o600)
	}
}

// CheckScreenshot decodes a PNG and checks its size, that it is not blank
// (many colours, a share of dark pixels from the text) and that each
// colour ("#rrggbb") appears in a run of pixels (a bar).
func CheckScreenshot(t testing.TB, path string, width, height int, colors ...string) {
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

// PolicyBlocksRequests shows that the policy of html forbids requests:
// the same page with an image and a style sheet from a local server
// fetches nothing, and without the policy it does (so the test can see
// a request).
func PolicyBlocksRequests(t testing.TB, html []byte) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	inject := `<img src="` + srv.URL + `/pixel.png"><link rel="stylesheet" href="` + srv.URL + `/style.css"></body>`
	for _, c := range []struct {
		name   string
		page   string
		wanted bool
	}{
		{"with the policy", strings.Replace(string(html), "</body>", inject, 1), false},
		{"without it", strings.Replace(regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`).ReplaceAllString(string(html), ""), "</body>", inject, 1), true},
	} {
		hits.Store(0)
		page := filepath.Join(t.TempDir(), "page.html")
		if err := os.WriteFile(page, []byte(c.page), 0o600); err != nil {
			t.Fatal(err)
		}
		Run(t, page, "--dump-dom", "--virtual-time-budget=2000")
		if got := hits.Load() > 0; got != c.wanted {
			t.Errorf("%s: %d requests reached the server", c.name, hits.Load())
		}
	}
}
