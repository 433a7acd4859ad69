package web_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/licet/licet/web"
)

// A vendor writes the page with its public key embedded and hands it to
// customers, who open it from disk.
func ExamplePage() {
	pub := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)).Public().(ed25519.PublicKey)
	html, err := web.Page(web.Options{Keys: []web.Key{{PublicKey: pub, Issuer: "acme"}}, Product: "acme-db"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.Contains(html, []byte(`"issuer":"acme"`)), bytes.Contains(html, []byte(`"product":"acme-db"`)))
	// Output: true true
}
