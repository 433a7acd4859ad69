package verify_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Example verifies a license the way a product does: trusted public key,
// product id and version, required scopes.
func Example() {
	seed := sha256.Sum256([]byte("example vendor key"))
	vendorKey := ed25519.NewKeyFromSeed(seed[:])
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok, _ := token.SignLicense(vendorKey, &token.License{
		Issuer: "acme", Subject: "customer-42", Audience: []string{"widget-server"},
		IssuedAt: issued, Expiry: issued.AddDate(1, 0, 0), ID: make([]byte, 16),
		Tier: "pro", Scopes: []string{"api:*"}, Versions: ">= 3.0, < 4.0",
	}, nil)

	// What the product ships: the vendor's public key and its own identity.
	keys, err := verify.NewKeySet(verify.Key{PublicKey: vendorKey.Public().(ed25519.PublicKey), Issuer: "acme"})
	if err != nil {
		panic(err)
	}
	v, err := verify.New(keys,
		verify.WithProduct("widget-server"),
		verify.WithProductVersion("3.2.1"),
		verify.WithClock(func() time.Time { return issued.AddDate(0, 6, 0) }),
	)
	if err != nil {
		panic(err)
	}

	lic, err := v.Verify(tok, "api:read")
	fmt.Println(lic.Claims.Subject, lic.Claims.Tier, err)

	_, err = v.Verify(tok, "billing:export")
	fmt.Println(verify.CodeOf(err), errors.Is(err, verify.CodeScopeMissing))

	var ve *verify.Error
	if errors.As(err, &ve) {
		fmt.Println(ve.Detail)
	}
	// Output:
	// customer-42 pro <nil>
	// scope_missing true
	// billing:export
}
