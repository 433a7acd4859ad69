package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/licet/licet/internal/statementpage/browsertest"
)

const hostileSubject = `<img src=x onerror=alert(1)>`

// TestConsoleHeaders checks that the console's page, script and style
// sheet are served with the strict CSP and the other security headers,
// and that the page set has no inline script or style and never uses
// innerHTML.
func TestConsoleHeaders(t *testing.T) {
	e := newEnv(t, backends()[0].open(t), Config{})
	for path, ctype := range map[string]string{
		"/":                    "text/html; charset=utf-8",
		"/console/console.js":  "text/javascript; charset=utf-8",
		"/console/console.css": "text/css; charset=utf-8",
	} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		h := resp.Header
		if got := h.Get("Content-Type"); got != ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", path, got, ctype)
		}
		if got := h.Get("Content-Security-Policy"); got != ConsoleCSP {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", path, h)
		}
		if path == "/" {
			page := string(body)
			for _, bad := range []*regexp.Regexp{
				regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`),         // inline script
				regexp.MustCompile(`<script(?:(?:\s+(?:defer|type="[^"]*"))*)>`), // script without src
				regexp.MustCompile(`<style`),
				regexp.MustCompile(`\sstyle=`),
				regexp.MustCompile(`\son[a-z]+=`),
				regexp.MustCompile(`(?:src|href)="(?:https?:)?//`), // outside assets
			} {
				if bad.MatchString(page) {
					t.Errorf("the console page matches %s", bad)
				}
			}
		}
		if strings.Contains(string(body), "innerHTML") || strings.Contains(string(body), "insertAdjacentHTML") || strings.Contains(string(body), "document.write") {
			t.Errorf("GET %s inserts HTML from strings", path)
		}
	}
	// Only the page set is served: no listing, nothing beside it.
	for _, path := range []string{"/console/", "/console/nope.js", "/console/index.html", "/index.html", "/console/console.js/x"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

// cdp is a minimal Chrome DevTools protocol client over
// --remote-debugging-pipe (JSON messages ended by NUL on fds 3 and 4),
// attached to one page.
type cdp struct {
	t       *testing.T
	w       io.Writer
	mu      sync.Mutex
	id      int
	waiting map[int]chan cdpMessage
	session string
	events  []cdpMessage
}

type cdpMessage struct {
	ID        int             `json:"id"`
	Method    string          `json:"method"`
	SessionID string          `json:"sessionId"`
	Params    json.RawMessage `json:"params"`
	Result    json.RawMessage `json:"result"`
	Error     *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startChromium(t *testing.T) *cdp {
	t.Helper()
	toChrome, chromeIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	chromeOut, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, browsertest.Chromium(t), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fd 3: Chromium reads; fd 4: it writes
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	toChrome.Close()
	fromChrome.Close()
	c := &cdp{t: t, w: chromeIn, waiting: map[int]chan cdpMessage{}}
	t.Cleanup(func() {
		chromeIn.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		cancel()
		chromeOut.Close()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", stderr.String())
		}
	})
	go func() {
		r := bufio.NewReader(chromeOut)
		for {
			line, err := r.ReadBytes(0)
			if err != nil {
				c.mu.Lock()
				for id, ch := range c.waiting {
					close(ch)
					delete(c.waiting, id)
				}
				c.mu.Unlock()
				return
			}
			var m cdpMessage
			if json.Unmarshal(bytes.TrimSuffix(line, []byte{0}), &m) != nil {
				continue
			}
			c.mu.Lock()
			if m.ID != 0 {
				if ch := c.waiting[m.ID]; ch != nil {
					ch <- m
					delete(c.waiting, m.ID)
				}
			} else {
				c.events = append(c.events, m)
			}
			c.mu.Unlock()
		}
	}()
	return c
}

// call sends a command (to the page's session unless browser) and
// returns its result.
func (c *cdp) call(browser bool, method string, params any) json.RawMessage {
	c.t.Helper()
	c.mu.Lock()
	c.id++
	id := c.id
	ch := make(chan cdpMessage, 1)
	c.waiting[id] = ch
	msg := map[string]any{"id": id, "method": method, "params": params}
	if !browser {
		msg["sessionId"] = c.session
	}
	c.mu.Unlock()
	data, err := json.Marshal(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.w.Write(append(data, 0)); err != nil {
		c.t.Fatalf("cdp %s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			c.t.Fatalf("cdp %s: Chromium closed the pipe", method)
		}
		if m.Error != nil {
			c.t.Fatalf("cdp %s: %s", method, m.Error.Message)
		}
		return m.Result
	case <-time.After(30 * time.Second):
		c.t.Fatalf("cdp %s: no answer in 30s", method)
	}
	return nil
}

// eval evaluates a JavaScript expression in the page (awaiting a
// promise) and decodes its value into v.
func (c *cdp) eval(expr string, v any) {
	c.t.Helper()
	res := c.call(false, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		c.t.Fatal(err)
	}
	if r.Exception != nil {
		c.t.Fatalf("evaluating %s: %s %s", expr, r.Exception.Text, r.Exception.Exception.Description)
	}
	if v != nil {
		if err := json.Unmarshal(r.Result.Value, v); err != nil {
			c.t.Fatalf("evaluating %s: value %s: %v", expr, r.Result.Value, err)
		}
	}
}

// waitFor polls a boolean expression until it holds.
func (c *cdp) waitFor(what, expr string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		c.eval("Boolean("+expr+")", &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var state string
			c.eval(`document.getElementById("error").textContent + " | " + document.getElementById("notice").textContent`, &state)
			c.t.Fatalf("waiting for %s (%s): not after 20s; messages: %s", what, expr, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// problems returns the console messages, exceptions, log entries and
// dialogs Chromium reported, and the CSP violations the page saw.
func (c *cdp) problems() []string {
	c.t.Helper()
	var out []string
	refused := false
	c.mu.Lock()
	for _, ev := range c.events {
		switch ev.Method {
		case "Runtime.consoleAPICalled", "Runtime.exceptionThrown", "Page.javascriptDialogOpening":
			out = append(out, ev.Method+" "+string(ev.Params))
		case "Log.entryAdded":
			var p struct {
				Entry struct{ Level, Source, Text, URL string } `json:"entry"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Entry.Level == "error" && strings.Contains(p.Entry.URL, "favicon.ico") {
				continue // the browser's own favicon request: 404 by design
			}
			if p.Entry.Source == "network" && strings.Contains(p.Entry.Text, "status of 403") &&
				strings.HasSuffix(p.Entry.URL, "/v1/licenses") && !refused {
				refused = true // the issue refused for the read token, on purpose
				continue
			}
			out = append(out, fmt.Sprintf("log %s/%s: %s %s", p.Entry.Source, p.Entry.Level, p.Entry.Text, p.Entry.URL))
		}
	}
	c.mu.Unlock()
	var csp []string
	c.eval(`window.__cspViolations || []`, &csp)
	for _, v := range csp {
		out = append(out, "CSP violation: "+v)
	}
	return out
}

// TestConsoleInChromium drives the vendor console in headless Chromium
// against a real server and ledger: a token pasted, a search run (the
// hostile subject shown as text), an issue refused for a read token with
// the problem's detail shown, a license issued and one revoked with an
// admin token, the ledger checked; any console message, exception,
// dialog or CSP violation fails the test.
func TestConsoleInChromium(t *testing.T) {
	browsertest.Chromium(t)
	e := newEnv(t, backends()[0].open(t), Config{})
	hostile := e.mint(hostileSubject, map[string]any{"order": "ord-hostile"})
	victim := e.mint("Initech GmbH", map[string]any{"order": "ord-initech"})
	e.mint("Globex Corp", map[string]any{"order": "ord-globex"})

	c := startChromium(t)
	var targets struct {
		TargetInfos []struct{ TargetID, Type string } `json:"targetInfos"`
	}
	json.Unmarshal(c.call(true, "Target.getTargets", map[string]any{}), &targets)
	page := ""
	for _, ti := range targets.TargetInfos {
		if ti.Type == "page" {
			page = ti.TargetID
		}
	}
	if page == "" {
		var created struct{ TargetID string }
		json.Unmarshal(c.call(true, "Target.createTarget", map[string]any{"url": "about:blank"}), &created)
		page = created.TargetID
	}
	var att struct{ SessionID string }
	json.Unmarshal(c.call(true, "Target.attachToTarget", map[string]any{"targetId": page, "flatten": true}), &att)
	c.session = att.SessionID
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		c.call(false, m, map[string]any{})
	}
	// Collect CSP violations from the first script on: a script the
	// protocol adds runs before the page's, whatever its CSP.
	c.call(false, "Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `
		window.__cspViolations = [];
		document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));`})
	c.call(false, "Page.navigate", map[string]any{"url": e.url + "/"})
	c.waitFor("the page", `document.readyState === "complete" && document.getElementById("token-state").textContent === "no token"`)

	var styled bool
	c.eval(`getComputedStyle(document.querySelector("h2")).borderBottomStyle === "solid"`, &styled)
	if !styled {
		t.Error("the console's style sheet is not applied")
	}

	// A read token: the search works, the hostile subject is text.
	c.eval(`(() => { document.getElementById("token").value = `+jsString(e.tokens["read"])+`; document.getElementById("token-save").click(); })()`, nil)
	c.waitFor("the token", `document.getElementById("token-state").textContent === "token set for this tab"`)
	var where struct{ Session, Local, URL, Input string }
	c.eval(`({Session: sessionStorage.getItem("licet.console.token") || "", Local: JSON.stringify(localStorage), URL: location.href, Input: document.getElementById("token").value})`, &where)
	if where.Session != e.tokens["read"] || strings.Contains(where.Local, "licet_") || strings.Contains(where.URL, "licet_") || where.Input != "" {
		t.Errorf("the token is kept at %+v, want sessionStorage only", where)
	}
	c.eval(`document.getElementById("search-run").click()`, nil)
	c.waitFor("the search", `document.querySelectorAll("#licenses tbody tr").length === 3`)
	var hostileText string
	c.eval(`document.querySelector('#licenses tr[data-id="`+hostile.ID+`"] td.sub').textContent`, &hostileText)
	if hostileText != hostileSubject {
		t.Errorf("the hostile subject shows as %q", hostileText)
	}
	var imgs int
	c.eval(`document.querySelectorAll("img").length`, &imgs)
	if imgs != 0 {
		t.Errorf("%d img elements in the page: ledger text was inserted as HTML", imgs)
	}
	// Filters: name contains.
	c.eval(`(() => { document.getElementById("q-name").value = "Initech"; document.getElementById("search-run").click(); })()`, nil)
	c.waitFor("the filtered search", `document.querySelectorAll("#licenses tbody tr").length === 1 && document.querySelector("#licenses tbody td.sub").textContent === "Initech GmbH"`)

	// Issuing with the read token: the API refuses, the page shows why.
	before := e.entries()
	c.eval(`(() => { document.getElementById("i-template").value = "pro"; document.getElementById("i-sub").value = "Umbrella plc"; document.getElementById("i-order").value = "ord-umbrella"; document.getElementById("issue-run").click(); })()`, nil)
	c.waitFor("the refusal", `!document.getElementById("error").hidden`)
	var refusal string
	c.eval(`document.getElementById("error").textContent`, &refusal)
	if !strings.HasPrefix(refusal, "forbidden: ") || !strings.Contains(refusal, "role read") {
		t.Errorf("the refusal shows as %q", refusal)
	}
	if n := e.entries(); n != before {
		t.Fatalf("a refused issue recorded %d entries", n-before)
	}

	// An admin token: issue, then revoke through the page.
	c.eval(`(() => { document.getElementById("token").value = `+jsString(e.tokens["admin"])+`; document.getElementById("token-save").click(); })()`, nil)
	c.eval(`(() => { document.getElementById("q-name").value = ""; document.getElementById("issue-run").click(); })()`, nil)
	c.waitFor("the issue", `document.getElementById("notice").textContent.startsWith("issued ")`)
	var issued string
	c.eval(`document.getElementById("notice").textContent.slice("issued ".length)`, &issued)
	status, data, _ := e.do("GET", "/v1/licenses/"+issued, "read", nil)
	var got LicenseView
	if status != http.StatusOK {
		t.Fatalf("the issued license %q: %d %s", issued, status, data)
	}
	e.decode(data, &got)
	if got.Subject != "Umbrella plc" || got.Order != "ord-umbrella" || got.Tier == "" {
		t.Errorf("issued %+v", got)
	}
	var tokenText string
	c.eval(`document.getElementById("issued").textContent`, &tokenText)
	if got.Token == nil || tokenText != got.Token.Text {
		t.Errorf("the page shows the token %q", tokenText)
	}
	c.waitFor("the list after issue", `document.querySelectorAll("#licenses tbody tr").length === 4`)

	sel := `document.querySelector('#licenses tr[data-id="` + victim.ID + `"] button.revoke')`
	c.eval(sel+`.click()`, nil) // arms
	var armed string
	c.eval(sel+`.textContent`, &armed)
	if armed != "Confirm revoke" {
		t.Fatalf("the revoke button after one click: %q", armed)
	}
	status, data, _ = e.do("GET", "/v1/licenses/"+victim.ID, "read", nil)
	e.decode(data, &got)
	if status != http.StatusOK || got.State == nil || got.State.Revoked {
		t.Fatalf("one click revoked %s: %s", victim.ID, data)
	}
	c.eval(sel+`.click()`, nil)
	c.waitFor("the revocation", `document.getElementById("notice").textContent.includes("revoked")`)
	c.waitFor("the revoked row", `document.querySelector('#licenses tr[data-id="`+victim.ID+`"] td.state').textContent === "revoked"`)
	status, data, _ = e.do("GET", "/v1/licenses/"+victim.ID, "read", nil)
	e.decode(data, &got)
	if status != http.StatusOK || got.State == nil || !got.State.Revoked {
		t.Errorf("after the page's revoke: %d %s", status, data)
	}

	// Expiring soon and partners.
	c.eval(`(() => { document.getElementById("e-within").value = "400d"; document.getElementById("expiring-run").click(); })()`, nil)
	c.waitFor("the expiring list", `document.querySelectorAll("#expiring-list tbody tr").length >= 3`)
	c.eval(`document.getElementById("partners-run").click()`, nil)
	c.waitFor("no partners", `!document.getElementById("notice").hidden && document.getElementById("notice").textContent === "no partner grants"`)
	// A partner granted, its report of two licenses uploaded: the page
	// shows the grant, what it reported and what it owes.
	grantID, rep := partnerReport(t, e, 2)
	_, partnerTok, err := e.store.Create(context.Background(), "globex", Role("partner:"+grantID))
	if err != nil {
		t.Fatal(err)
	}
	if status, data, _ := e.do("POST", "/v1/reports", partnerTok, string(rep)); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("report upload: %d %s", status, data)
	}
	c.eval(`document.getElementById("partners-run").click()`, nil)
	c.waitFor("the partners", `document.querySelector('#grants tr[data-id="`+grantID+`"] td.reported')?.textContent === "2"`)
	var partnerName string
	c.eval(`document.querySelector('#grants tr[data-id="`+grantID+`"] td.partner').textContent`, &partnerName)
	if partnerName != "globex" {
		t.Errorf("the grant's partner shows as %q", partnerName)
	}
	c.eval(`document.getElementById("statement-run").click()`, nil)
	c.waitFor("the statement", `document.querySelectorAll("#statement-rows tbody tr").length === 1 || !document.getElementById("error").hidden`)
	var st struct{ Err, Summary, Row string }
	c.eval(`({Err: document.getElementById("error").hidden ? "" : document.getElementById("error").textContent,
		Summary: document.getElementById("statement").textContent,
		Row: Array.from(document.querySelectorAll("#statement-rows tbody td"), (td) => td.textContent).join("|")})`, &st)
	if st.Err != "" || !strings.Contains(st.Summary, "2 licenses") || !strings.Contains(st.Summary, "EUR") || !strings.HasPrefix(st.Row, "globex|pro|2|") {
		t.Errorf("the statement shows %+v", st)
	}

	if p := c.problems(); len(p) > 0 {
		t.Errorf("the browser reported:\n%s", strings.Join(p, "\n"))
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
