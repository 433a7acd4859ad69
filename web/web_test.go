package web_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/licet/licet/web"
)

var configRE = regexp.MustCompile(`<script type="application/json" id="licet-config">(.*?)</script>`)

func key(t *testing.T, seed byte) ed25519.PublicKey {
	t.Helper()
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)).Public().(ed25519.PublicKey)
}

// TestTemplate checks the committed page: one configuration block with no
// keys, one inline script, and a Content-Security-Policy that allows that
// script by its hash and nothing from the network.
func TestTemplate(t *testing.T) {
	p := string(web.Template())
	m := configRE.FindAllStringSubmatch(p, -1)
	if len(m) != 1 || m[0][1] != `{"keys":[],"product":""}` {
		t.Fatalf("configuration block: %q", m)
	}
	scripts := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(p, -1)
	if len(scripts) != 1 {
		t.Fatalf("%d inline scripts, want 1", len(scripts))
	}
	sum := sha256.Sum256([]byte(scripts[0][1]))
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(p)
	if csp == nil {
		t.Fatal("no Content-Security-Policy")
	}
	for _, want := range []string{"default-src 'none'", "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"} {
		if !strings.Contains(csp[1], want) {
			t.Errorf("CSP %q lacks %q (rebuild the page: npm run build && npm run page in js/)", csp[1], want)
		}
	}
	for _, banned := range []string{"<script src", "<link", `src="http`, `href="http`, "url(", "fetch(", "XMLHttpRequest", "WebSocket", "sendBeacon"} {
		if strings.Contains(p, banned) {
			t.Errorf("the page contains %q: it must not load anything", banned)
		}
	}
}

func TestPage(t *testing.T) {
	a, b := key(t, 1), key(t, 2)
	p, err := web.Page(web.Options{Keys: []web.Key{{PublicKey: a, Issuer: "acme"}, {PublicKey: b}}, Product: "acme-db</script><script>alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	m := configRE.FindAllSubmatch(p, -1)
	if len(m) != 1 {
		t.Fatalf("%d configuration blocks", len(m))
	}
	var cfg struct {
		Keys    []struct{ Key, KID, Issuer string }
		Product string
	}
	if err := json.Unmarshal(m[0][1], &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Keys) != 2 || cfg.Keys[0].Issuer != "acme" || cfg.Keys[1].Issuer != "" || len(cfg.Keys[0].KID) != 16 || len(cfg.Keys[0].Key) != 64 {
		t.Errorf("keys: %+v", cfg.Keys)
	}
	if cfg.Product != "acme-db</script><script>alert(1)" {
		t.Errorf("product %q", cfg.Product)
	}
	if bytes.Contains(p, []byte("</script><script>alert")) {
		t.Error("the product id ends the configuration block")
	}
	if len(p) <= len(web.Template()) {
		t.Error("nothing embedded")
	}
}

func TestPageRefuses(t *testing.T) {
	for name, opts := range map[string]web.Options{
		"no key":      {},
		"short key":   {Keys: []web.Key{{PublicKey: make([]byte, 31)}}},
		"small order": {Keys: []web.Key{{PublicKey: make([]byte, 32)}}},
		"twice":       {Keys: []web.Key{{PublicKey: key(t, 1)}, {PublicKey: key(t, 1)}}},
	} {
		if _, err := web.Page(opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
