package token_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/licet/licet/token"
)

// Example mints a license and reads it back without verifying it.
func Example() {
	seed := sha256.Sum256([]byte("example vendor key"))
	vendor := ed25519.NewKeyFromSeed(seed[:])

	lic := &token.License{
		Issuer:   "acme",
		Subject:  "customer-42",
		Audience: []string{"widget-server"},
		IssuedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Expiry:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		ID:       make([]byte, token.IDSize), // use token.NewID(nil) for real licenses
		Tier:     "pro",
		Scopes:   []string{"api:read", "reports:*"},
		Limits:   map[string]uint64{"seats": 25},
	}
	raw, err := token.SignLicense(vendor, lic, nil)
	if err != nil {
		panic(err)
	}
	text, err := token.EncodeText(raw, "")
	if err != nil {
		panic(err)
	}

	u, err := token.ParseUnverified([]byte(text))
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Form, u.Message.Header.Typ)
	fmt.Println(u.License.Subject, u.License.Tier, u.License.Expiry.Format(time.DateOnly))
	fmt.Println(u.License.Allows("reports:monthly"), u.License.Allows("admin"))
	// Output:
	// text application/licet-license+cwt
	// customer-42 pro 2027-01-01
	// true false
}
