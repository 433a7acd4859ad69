package sdk_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
)

// Example loads a license the way a product does and asks it questions.
func Example() {
	// The vendor's side, done once: a key pair and a signed license.
	seed := sha256.Sum256([]byte("example vendor key"))
	vendorKey := ed25519.NewKeyFromSeed(seed[:])
	der, _ := x509.MarshalPKIXPublicKey(vendorKey.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}) // shipped with the product
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	raw, _ := token.SignLicense(vendorKey, &token.License{
		Issuer: "acme", Subject: "customer-42", Audience: []string{"widget-server"},
		IssuedAt: now.AddDate(0, -1, 0), Expiry: now.AddDate(0, 0, 10), Grace: 7 * 24 * time.Hour,
		ID: make([]byte, 16), Tier: "pro", Scopes: []string{"api:*"},
		Limits: map[string]uint64{"seats": 25},
	}, nil)
	dir, _ := os.MkdirTemp("", "licet-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "license.lic"), token.EncodePEM(raw, token.PEMLicense, nil), 0o644)

	// The product's side.
	lic, err := sdk.Load(sdk.Config{
		TrustedKeys:    pubPEM,
		Issuer:         "acme",
		Product:        "widget-server",
		ProductVersion: "3.1.0",
		LicensePath:    filepath.Join(dir, "license.lic"),
		Tiers:          []string{"free", "pro", "enterprise"},
		Clock:          func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	seats, _ := lic.Limit("seats")
	fmt.Println(lic.Allows("api:read"), lic.Allows("admin"))
	fmt.Println(lic.Tier(), lic.TierAtLeast("pro"), lic.TierAtLeast("enterprise"), seats)
	fmt.Println(lic.ExpiresIn(), lic.InGrace())
	// Output:
	// true false
	// pro true false 25
	// 240h0m0s false
}

// ExampleLicense_Require gates an endpoint by scope: a license that lacks
// the scope gets 403 and a problem+json body naming it.
func ExampleLicense_Require() {
	seed := sha256.Sum256([]byte("example vendor key"))
	vendorKey := ed25519.NewKeyFromSeed(seed[:])
	der, _ := x509.MarshalPKIXPublicKey(vendorKey.Public())
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	raw, _ := token.SignLicense(vendorKey, &token.License{
		Issuer: "acme", Subject: "customer-42", Audience: []string{"widget-server"},
		IssuedAt: now, ID: make([]byte, 16), Tier: "free", Scopes: []string{"api:read"},
	}, nil)
	text, _ := token.EncodeText(raw, "")

	lic, err := sdk.Load(sdk.Config{
		TrustedKeys:   pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}),
		Product:       "widget-server",
		Getenv:        func(string) string { return text }, // as if WIDGET_SERVER_LICENSE held it
		ConfigDirName: "-",
		Clock:         func() time.Time { return now },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })
	mux.Handle("GET /api/hello", lic.Require("api:read")(hello))
	mux.Handle("GET /admin/stats", lic.Require("admin:stats")(hello))

	for _, path := range []string{"/api/hello", "/admin/stats"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		fmt.Print(rec.Code, " ", rec.Header().Get("Content-Type"), " ", rec.Body)
	}
	// Output:
	// 200 text/plain; charset=utf-8 hello
	// 403 application/problem+json {"type":"urn:licet:problem:scope_missing","title":"Scope not licensed","status":403,"detail":"the license does not grant the scope this needs","code":"scope_missing","scope":"admin:stats"}
}
