package keys_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Example makes a vendor key, stores it encrypted, reads it back, signs a
// license with it, and verifies the license against a trust store.
func Example() {
	// A real key comes from keys.Generate(rand.Reader, "acme"); a fixed seed
	// keeps the output of this example stable.
	seed := sha256.Sum256([]byte("example vendor key"))
	vendor, err := keys.Generate(bytes.NewReader(seed[:]), "acme")
	if err != nil {
		panic(err)
	}

	// The private key file, encrypted under a passphrase. Real files use
	// keys.DefaultKDF; FastKDF keeps the example quick.
	keyFile, err := vendor.MarshalEncrypted([]byte("correct horse battery staple"), keys.FastKDF())
	if err != nil {
		panic(err)
	}
	info, _ := keys.ReadKeyInfo(keyFile) // no passphrase needed
	fmt.Println("key file:", info.Public.Issuer, hex.EncodeToString(info.Public.KeyID()), "encrypted:", info.Encrypted)

	signer, err := keys.ParsePrivateKey(keyFile, func() ([]byte, error) {
		return []byte("correct horse battery staple"), nil
	})
	if err != nil {
		panic(err)
	}

	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lic, err := token.SignLicense(signer.Signer(), &token.License{
		Issuer: signer.Issuer, Subject: "customer-42", Audience: []string{"widget-server"},
		IssuedAt: issued, Expiry: issued.AddDate(1, 0, 0), ID: make([]byte, token.IDSize),
		Tier: "pro", Scopes: []string{"api:*"},
	}, nil)
	if err != nil {
		panic(err)
	}

	// The product trusts the public key file it was given.
	pub, err := keys.ParsePublicKey(vendor.Public().MarshalPEM())
	if err != nil {
		panic(err)
	}
	store := &keys.TrustStore{}
	if err := store.Add(keys.TrustedKey{Issuer: pub.Issuer, Key: pub.Key, NotBefore: issued}); err != nil {
		panic(err)
	}
	keySet, err := store.KeySet()
	if err != nil {
		panic(err)
	}
	v, err := verify.New(keySet,
		verify.WithProduct("widget-server"),
		verify.WithClock(func() time.Time { return issued.AddDate(0, 3, 0) }))
	if err != nil {
		panic(err)
	}
	l, err := v.Verify(lic, "api:read")
	fmt.Println("verified:", l.Claims.Subject, l.Claims.Tier, err)

	// A wrong passphrase is refused.
	_, err = keys.ParsePrivateKey(keyFile, func() ([]byte, error) { return []byte("guess"), nil })
	fmt.Println(err)
	// Output:
	// key file: acme 11ff0ed3cb048686 encrypted: true
	// verified: customer-42 pro <nil>
	// keys: wrong passphrase, or the key file was modified
}
