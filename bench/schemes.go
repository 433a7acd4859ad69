package bench

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/golang-jwt/jwt/v5"
	"github.com/veraison/go-cose"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Scheme is one token format under test: it signs the shared claims into a
// fresh token, and fully verifies a token it signed earlier (signature,
// claims decoding, expiry, issuer and audience).
type Scheme struct {
	// Name identifies the scheme in reports ("licet-raw", "golang-jwt", ...).
	Name string
	// Sign mints a new token over the shared claims.
	Sign func() ([]byte, error)
	// Verify checks tok and decodes its claims.
	Verify func(tok []byte) error
	// Token is a token minted by Sign, the one benchmarks verify.
	Token []byte
}

// Fixture is the key, clock and claims shared by every scheme.
type Fixture struct {
	Priv ed25519.PrivateKey
	Pub  ed25519.PublicKey
	// Now is the fixed clock of every verifier.
	Now time.Time
	// License is the claims set, in licet's form; peers carry the same
	// values in their own claim names.
	License *token.License
	// Product is the audience every verifier requires.
	Product string
}

// NewFixture returns the fixture of the comparison: a deterministic key and
// a license with ten claims and four scopes.
func NewFixture() *Fixture {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	return &Fixture{
		Priv: priv, Pub: priv.Public().(ed25519.PublicKey), Now: now, Product: "widget-server",
		License: &token.License{
			Issuer:   "acme",
			Subject:  "customer-4711",
			Audience: []string{"widget-server"},
			IssuedAt: now.Add(-24 * time.Hour),
			Expiry:   now.Add(365 * 24 * time.Hour),
			ID:       bytes.Repeat([]byte{0x5a}, token.IDSize),
			Tier:     "pro",
			Scopes:   []string{"api:read", "api:write", "reports:*", "connectors:salesforce"},
			Versions: ">= 2.0, < 4.0",
			Limits:   map[string]uint64{"seats": 25, "nodes": 3},
			Rights:   []string{"embed"},
		},
	}
}

// Schemes returns every scheme of the comparison, each with one token
// already minted, in report order.
func (f *Fixture) Schemes() ([]Scheme, error) {
	makers := []func() (Scheme, error){
		f.licetRaw, f.licetText, f.goCOSE, f.golangJWT, f.goJOSE, f.pasetoV4,
	}
	out := make([]Scheme, 0, len(makers))
	for _, mk := range makers {
		s, err := mk()
		if err != nil {
			return nil, err
		}
		if s.Token, err = s.Sign(); err != nil {
			return nil, fmt.Errorf("bench: %s: sign: %w", s.Name, err)
		}
		if err := s.Verify(s.Token); err != nil {
			return nil, fmt.Errorf("bench: %s: verify: %w", s.Name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// BaselineMessage returns the message raw Ed25519 signs and verifies in
// the baseline: licet's signature input (COSE Sig_structure) for the
// fixture's license, a few hundred bytes like every peer's.
func (f *Fixture) BaselineMessage() ([]byte, error) {
	raw, err := token.SignLicense(f.Priv, f.License, nil)
	if err != nil {
		return nil, err
	}
	m, err := token.ParseMessage(raw)
	if err != nil {
		return nil, err
	}
	return m.AppendToBeSigned(nil), nil
}

func (f *Fixture) verifier() (*verify.Verifier, error) {
	ks, err := verify.NewKeySet(verify.Key{PublicKey: f.Pub, Issuer: f.License.Issuer})
	if err != nil {
		return nil, err
	}
	return verify.New(ks, verify.WithProduct(f.Product), verify.WithProductVersion("3.1.0"),
		verify.WithClock(func() time.Time { return f.Now }))
}

func (f *Fixture) licetRaw() (Scheme, error) {
	v, err := f.verifier()
	if err != nil {
		return Scheme{}, err
	}
	return Scheme{
		Name: "licet-raw",
		Sign: func() ([]byte, error) { return token.SignLicense(f.Priv, f.License, nil) },
		Verify: func(tok []byte) error {
			_, err := v.Verify(tok)
			return err
		},
	}, nil
}

func (f *Fixture) licetText() (Scheme, error) {
	s, err := f.licetRaw()
	if err != nil {
		return Scheme{}, err
	}
	s.Name = "licet-text"
	s.Sign = func() ([]byte, error) {
		raw, err := token.SignLicense(f.Priv, f.License, nil)
		if err != nil {
			return nil, err
		}
		text, err := token.EncodeText(raw, "")
		return []byte(text), err
	}
	return s, nil
}

// checkTimes is the expiry and issue-time check of the peers whose
// libraries leave it to the caller.
func (f *Fixture) checkTimes(iat, exp time.Time) error {
	if exp.IsZero() || !f.Now.Before(exp) {
		return errors.New("expired")
	}
	if iat.After(f.Now) {
		return errors.New("issued in the future")
	}
	return nil
}

func (f *Fixture) goCOSE() (Scheme, error) {
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, f.Priv)
	if err != nil {
		return Scheme{}, err
	}
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, f.Pub)
	if err != nil {
		return Scheme{}, err
	}
	kid := token.KeyID(f.Pub)
	return Scheme{
		Name: "go-cose",
		Sign: func() ([]byte, error) {
			payload, err := f.License.MarshalClaims()
			if err != nil {
				return nil, err
			}
			hdr := cose.Headers{Protected: cose.ProtectedHeader{
				cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA,
				cose.HeaderLabelKeyID:     kid,
			}}
			return cose.Sign1(rand.Reader, signer, hdr, payload, nil)
		},
		Verify: func(tok []byte) error {
			var m cose.Sign1Message
			if err := m.UnmarshalCBOR(tok); err != nil {
				return err
			}
			if err := m.Verify(nil, verifier); err != nil {
				return err
			}
			l, err := token.DecodeLicense(m.Payload)
			if err != nil {
				return err
			}
			if l.Issuer != f.License.Issuer || !slices.Contains(l.Audience, f.Product) {
				return errors.New("wrong issuer or audience")
			}
			return f.checkTimes(l.IssuedAt, l.Expiry)
		},
	}, nil
}

// jsonClaims are the fixture's claims besides the registered ones, as the
// JSON peers carry them.
type jsonClaims struct {
	Tier     string            `json:"tier"`
	Scopes   []string          `json:"scopes"`
	Versions string            `json:"versions"`
	Limits   map[string]uint64 `json:"limits"`
	Rights   []string          `json:"rights"`
}

func (f *Fixture) jsonClaims() jsonClaims {
	l := f.License
	return jsonClaims{Tier: l.Tier, Scopes: l.Scopes, Versions: l.Versions, Limits: l.Limits, Rights: l.Rights}
}

type golangJWTClaims struct {
	jwt.RegisteredClaims
	jsonClaims
}

func (f *Fixture) golangJWT() (Scheme, error) {
	l := f.License
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithTimeFunc(func() time.Time { return f.Now }), jwt.WithIssuer(l.Issuer),
		jwt.WithAudience(f.Product), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	keyFunc := func(*jwt.Token) (any, error) { return f.Pub, nil }
	return Scheme{
		Name: "golang-jwt",
		Sign: func() ([]byte, error) {
			c := golangJWTClaims{
				RegisteredClaims: jwt.RegisteredClaims{
					Issuer: l.Issuer, Subject: l.Subject, Audience: l.Audience,
					IssuedAt: jwt.NewNumericDate(l.IssuedAt), ExpiresAt: jwt.NewNumericDate(l.Expiry),
					ID: hex.EncodeToString(l.ID),
				},
				jsonClaims: f.jsonClaims(),
			}
			s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c).SignedString(f.Priv)
			return []byte(s), err
		},
		Verify: func(tok []byte) error {
			var c golangJWTClaims
			_, err := parser.ParseWithClaims(string(tok), &c, keyFunc)
			return err
		},
	}, nil
}

func (f *Fixture) goJOSE() (Scheme, error) {
	l := f.License
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: f.Priv},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return Scheme{}, err
	}
	algs := []jose.SignatureAlgorithm{jose.EdDSA}
	return Scheme{
		Name: "go-jose",
		Sign: func() ([]byte, error) {
			std := josejwt.Claims{
				Issuer: l.Issuer, Subject: l.Subject, Audience: josejwt.Audience(l.Audience),
				IssuedAt: josejwt.NewNumericDate(l.IssuedAt), Expiry: josejwt.NewNumericDate(l.Expiry),
				ID: hex.EncodeToString(l.ID),
			}
			s, err := josejwt.Signed(signer).Claims(std).Claims(f.jsonClaims()).Serialize()
			return []byte(s), err
		},
		Verify: func(tok []byte) error {
			t, err := josejwt.ParseSigned(string(tok), algs)
			if err != nil {
				return err
			}
			var std josejwt.Claims
			var custom jsonClaims
			if err := t.Claims(f.Pub, &std, &custom); err != nil {
				return err
			}
			if std.Expiry == nil {
				return errors.New("no exp")
			}
			want := josejwt.Expected{Issuer: l.Issuer, AnyAudience: josejwt.Audience{f.Product}, Time: f.Now}
			return std.ValidateWithLeeway(want, 0)
		},
	}, nil
}

// pasetoClaims is the fixture as PASETO claims: registered claims are
// RFC 3339 strings, aud a single string.
type pasetoClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat string `json:"iat"`
	Exp string `json:"exp"`
	Jti string `json:"jti"`
	jsonClaims
}

func (f *Fixture) pasetoV4() (Scheme, error) {
	l := f.License
	return Scheme{
		Name: "paseto-v4-local",
		Sign: func() ([]byte, error) {
			c := pasetoClaims{
				Iss: l.Issuer, Sub: l.Subject, Aud: l.Audience[0],
				Iat: l.IssuedAt.Format(time.RFC3339), Exp: l.Expiry.Format(time.RFC3339),
				Jti: hex.EncodeToString(l.ID), jsonClaims: f.jsonClaims(),
			}
			m, err := json.Marshal(c)
			if err != nil {
				return nil, err
			}
			return PasetoV4Sign(f.Priv, m, nil, nil), nil
		},
		Verify: func(tok []byte) error {
			m, err := PasetoV4Verify(f.Pub, tok, nil, nil)
			if err != nil {
				return err
			}
			var c pasetoClaims
			if err := json.Unmarshal(m, &c); err != nil {
				return err
			}
			iat, err := time.Parse(time.RFC3339, c.Iat)
			if err != nil {
				return err
			}
			exp, err := time.Parse(time.RFC3339, c.Exp)
			if err != nil {
				return err
			}
			if c.Iss != l.Issuer || c.Aud != f.Product {
				return errors.New("wrong issuer or audience")
			}
			return f.checkTimes(iat, exp)
		},
	}, nil
}
