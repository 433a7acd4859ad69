package fuzz_test

import (
	"fmt"
	"time"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Example shows the property FuzzMutate checks: a valid token with one
// byte changed does not verify.
func Example() {
	vendor := vectors.PrivateKey(vectors.KeyVendor)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	raw, err := token.SignLicense(vendor, &token.License{
		Issuer: "acme", Subject: "customer-4711", Audience: []string{"acme-db"},
		IssuedAt: now.Add(-time.Hour), ID: vectors.ID("example"), Tier: "pro",
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	keys, _ := verify.NewKeySet(verify.Key{PublicKey: vectors.PublicKey(vectors.KeyVendor), Issuer: "acme"})
	v, _ := verify.New(keys, verify.WithProduct("acme-db"), verify.WithClock(func() time.Time { return now }))

	_, err = v.Verify(raw)
	fmt.Println("original:", err == nil)
	mutated := append([]byte(nil), raw...)
	mutated[len(mutated)-70] ^= 0x01 // a byte of the payload
	_, err = v.Verify(mutated)
	fmt.Println("one byte changed:", verify.CodeOf(err))
	// Output:
	// original: true
	// one byte changed: bad_signature
}
