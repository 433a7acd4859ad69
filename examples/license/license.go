package license

import (
	_ "embed"
	"errors"
	"fmt"

	"github.com/licet/licet/verify"
)

//go:embed vendor.pub
var vendorPub []byte

// Check verifies a customer's license for acme-db 3.2.0 and its api:read scope.
func Check(tok []byte) (*verify.License, error) {
	pub, err := verify.ParsePublicKeyPEM(vendorPub)
	if err != nil {
		return nil, err
	}
	keys, err := verify.NewKeySet(verify.Key{PublicKey: pub, Issuer: "acme"})
	if err != nil {
		return nil, err
	}
	v, err := verify.New(keys, verify.WithProduct("acme-db"), verify.WithProductVersion("3.2.0"))
	if err != nil {
		return nil, err
	}
	lic, err := v.Verify(tok, "api:read")
	if errors.Is(err, verify.CodeExpired) {
		return nil, errors.New("your acme-db license has expired: please renew it")
	}
	if err != nil {
		return nil, fmt.Errorf("license rejected (%s): %w", verify.CodeOf(err), err)
	}
	return lic, nil
}
