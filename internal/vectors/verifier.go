package vectors

import (
	"fmt"
	"time"

	"github.com/licet/licet/verify"
)

// Verifier builds the verifier that v's header describes: its trusted
// keys, product, product version (versions not checked when the header has
// none), binding, build date, clock, leeway and revocation list.
func (v *Vector) Verifier() (*verify.Verifier, error) {
	keys := make([]verify.Key, len(v.Keys))
	for i, k := range v.Keys {
		keys[i] = verify.Key{PublicKey: k.Public, Issuer: k.Issuer, NotBefore: k.NotBefore, NotAfter: k.NotAfter, Revoked: k.Revoked}
	}
	ks, err := verify.NewKeySet(keys...)
	if err != nil {
		return nil, fmt.Errorf("%s: trusted keys: %w", v.Name, err)
	}
	now := v.Now
	opts := []verify.Option{
		verify.WithProduct(v.Product),
		verify.WithClock(func() time.Time { return now }),
		verify.WithLeeway(v.Leeway),
	}
	if v.Version != "" {
		opts = append(opts, verify.WithProductVersion(v.Version))
	} else {
		opts = append(opts, verify.AnyVersionInsecure())
	}
	if v.Bind != nil {
		opts = append(opts, verify.WithBinding(v.Bind))
	}
	if !v.BuildDate.IsZero() {
		opts = append(opts, verify.WithBuildDate(v.BuildDate))
	}
	if v.Revocations != nil {
		lists, err := verify.ParseRevocations(v.Revocations, ks)
		if err != nil {
			return nil, fmt.Errorf("%s: revocation list: %w", v.Name, err)
		}
		opts = append(opts, verify.WithRevocations(lists...))
	}
	return verify.New(ks, opts...)
}
