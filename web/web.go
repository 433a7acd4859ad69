// Package web holds licet's offline verification page, verify.html: one
// self-contained HTML file that verifies licenses in a browser, with no
// network access, using the JavaScript verifier of js/ (the same verdicts
// and codes as package verify).
//
// The page is built from js/page and js/src by "npm run build && npm run
// page" in js/, and committed; this package embeds the committed file so
// that the licet command can write it (licet page) without Node.
//
// # Embedding a vendor key
//
// As built, the page asks for the vendor's public key. [Page] writes a copy
// with trusted keys (and optionally the product id) embedded in its
// configuration block, a non-executable JSON script element:
//
//	<script type="application/json" id="licet-config">{"keys":[...],"product":"acme-db"}</script>
//
// A page with keys embedded checks licenses against those keys only, so a
// vendor can hand customers one file.
package web

import (
	"bytes"
	"crypto/ed25519"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/licet/licet/token"
)

//go:embed verify.html
var page []byte

// configBlock is the page's configuration as built: no keys, no product.
const configBlock = `<script type="application/json" id="licet-config">{"keys":[],"product":""}</script>`

// Key is a trusted public key to embed.
type Key struct {
	// PublicKey is the vendor's Ed25519 public key.
	PublicKey ed25519.PublicKey
	// Issuer is the issuer id its licenses must carry; "" leaves it unchecked.
	Issuer string
}

// Options say what a written page embeds.
type Options struct {
	// Keys are the trusted keys, at least one.
	Keys []Key
	// Product, when not empty, fills the page's product field.
	Product string
}

type configJSON struct {
	Keys    []keyJSON `json:"keys"`
	Product string    `json:"product"`
}

type keyJSON struct {
	Key    string `json:"key"`
	KID    string `json:"kid"`
	Issuer string `json:"issuer,omitempty"`
}

// Template returns the page as built: it asks for the vendor key.
func Template() []byte {
	return bytes.Clone(page)
}

// Page returns the page with opts embedded. It refuses an empty key list,
// keys that are not 32 bytes long and keys of small order (anyone can sign
// for them).
func Page(opts Options) ([]byte, error) {
	if len(opts.Keys) == 0 {
		return nil, errors.New("web: no key to embed")
	}
	cfg := configJSON{Product: opts.Product, Keys: make([]keyJSON, 0, len(opts.Keys))}
	seen := map[string]bool{}
	for i, k := range opts.Keys {
		if len(k.PublicKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("web: key %d is not a 32-byte Ed25519 public key", i)
		}
		if token.IsSmallOrder(k.PublicKey) {
			return nil, fmt.Errorf("web: key %d is a point of small order: anyone can sign for it", i)
		}
		kid := hex.EncodeToString(token.KeyID(k.PublicKey))
		if seen[kid] {
			return nil, fmt.Errorf("web: key %s given twice", kid)
		}
		seen[kid] = true
		cfg.Keys = append(cfg.Keys, keyJSON{Key: hex.EncodeToString(k.PublicKey), KID: kid, Issuer: k.Issuer})
	}
	// json.Marshal escapes <, > and &: nothing in the block can end it.
	js, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if bytes.Count(page, []byte(configBlock)) != 1 {
		return nil, errors.New("web: verify.html has no configuration block: rebuild it (npm run page in js/)")
	}
	block := `<script type="application/json" id="licet-config">` + string(js) + `</script>`
	return bytes.Replace(page, []byte(configBlock), []byte(block), 1), nil
}
