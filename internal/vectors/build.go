package vectors

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/licet/licet/token"
)

// Names of the keys the vectors use. [PrivateKey] derives each one.
const (
	KeyVendor   = "vendor"   // the vendor "acme", trusted with issuer acme
	KeyVendor2  = "vendor2"  // a second vendor key of acme
	KeyPartner  = "partner"  // the partner "reseller", named by grants
	KeyStranger = "stranger" // a key nobody trusts
)

// PrivateKey returns the fixed Ed25519 key called name: its seed is
// SHA-256("licet test vectors: " + name).
func PrivateKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("licet test vectors: " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// PublicKey returns the public half of [PrivateKey](name).
func PublicKey(name string) ed25519.PublicKey {
	return PrivateKey(name).Public().(ed25519.PublicKey)
}

// ID returns the fixed 16-byte id (cti) derived from label: the first 16
// bytes of SHA-256("licet test vectors: cti " + label).
func ID(label string) []byte {
	sum := sha256.Sum256([]byte("licet test vectors: cti " + label))
	return sum[:token.IDSize]
}

// The fixed times of the vectors.
var (
	tIat = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tExp = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	tNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
)

// spec is one vector before rendering.
type spec struct {
	name    string
	comment string
	expect  string
	stage   string
	now     time.Time
	product string
	version string
	scopes  []string
	bind    []string // "key=value"
	keys    []string // key lines
	revs    string
	leeway  string // seconds; "" for the default
	inGrace bool
	build   time.Time // build_date; zero for none
	fallbk  bool      // expected fallback flag of a valid vector

	form       string
	prefix     string            // text form: "" for the default
	pemHeaders map[string]string // PEM form
	raw        []byte            // the COSE_Sign1 bytes (or what passes for them)
	text       string            // text form: the exact text, overriding raw
}

// render writes the vector file.
func (s *spec) render() ([]byte, error) {
	var b strings.Builder
	for _, line := range strings.Split(s.comment, "\n") {
		b.WriteString("# " + line + "\n")
	}
	w := func(k, v string) { b.WriteString(k + ": " + v + "\n") }
	w("expect", s.expect)
	if s.stage != "" {
		w("stage", s.stage)
	}
	w("now", s.now.UTC().Format(time.RFC3339))
	w("product", s.product)
	if s.version != "" {
		w("version", s.version)
	}
	if len(s.scopes) > 0 {
		w("scopes", strings.Join(s.scopes, " "))
	}
	for _, kv := range s.bind {
		w("bind", kv)
	}
	for _, k := range s.keys {
		w("key", k)
	}
	if s.revs != "" {
		w("revocations", s.revs)
	}
	if s.leeway != "" {
		w("leeway", s.leeway)
	}
	if !s.build.IsZero() {
		w("build_date", s.build.UTC().Format(time.RFC3339))
	}
	if s.expect == ExpectValid {
		w("in_grace", fmt.Sprint(s.inGrace))
	}
	if s.fallbk { // written only when true: absent means false
		w("fallback", "true")
	}
	b.WriteString("\n")
	switch s.form {
	case FormRaw:
		b.WriteString(strings.TrimSpace("raw: "+hex.EncodeToString(s.raw)) + "\n")
	case FormPEM:
		if s.text != "" {
			b.WriteString(s.text + "\n")
			break
		}
		b.Write(token.EncodePEM(s.raw, token.PEMLicense, s.pemHeaders))
	case FormText:
		t := s.text
		if t == "" {
			var err error
			if t, err = token.EncodeText(s.raw, s.prefix); err != nil {
				return nil, err
			}
		}
		b.WriteString(t + "\n")
	default:
		return nil, fmt.Errorf("vectors: %s: unknown form %q", s.name, s.form)
	}
	return []byte(b.String()), nil
}

// keyLine returns the key line of a vector for the named key.
func keyLine(name string, attrs ...string) string {
	return strings.Join(append([]string{hex.EncodeToString(PublicKey(name))}, attrs...), " ")
}

// vendorLine is the trust store of most vectors: the vendor key, issuer acme.
var vendorLine = keyLine(KeyVendor, "issuer=acme")

// must panics on err; [Generate] recovers it into an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(genError{err})
	}
	return v
}

type genError struct{ err error }

// marshal encodes v with core deterministic encoding.
func marshal(v any) []byte { return must(token.Marshal(v)) }

// head encodes a CBOR item head with a definite argument.
func head(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n <= 0xff:
		return []byte{m | 24, byte(n)}
	case n <= 0xffff:
		return []byte{m | 25, byte(n >> 8), byte(n)}
	}
	return []byte{m | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

// bstr encodes b as a CBOR byte string.
func bstr(b []byte) []byte { return append(head(2, uint64(len(b))), b...) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// envelope assembles a tagged COSE_Sign1 from its encoded parts: the
// protected header map, the unprotected item, the payload and the
// signature (byte strings are wrapped here).
func envelope(protected, unprotected, payload, sig []byte) []byte {
	return cat([]byte{0xd2, 0x84}, bstr(protected), unprotected, bstr(payload), bstr(sig))
}

// sigOver signs the Sig_structure of protected and payload.
func sigOver(priv ed25519.PrivateKey, protected, payload []byte) []byte {
	m := &token.Message{Protected: protected, Payload: payload}
	return ed25519.Sign(priv, m.AppendToBeSigned(nil))
}

// signEnvelope builds a COSE_Sign1 with an empty unprotected map, signed by
// priv over exactly protected and payload.
func signEnvelope(priv ed25519.PrivateKey, protected, payload []byte) []byte {
	return envelope(protected, []byte{0xa0}, payload, sigOver(priv, protected, payload))
}

// header returns a protected header map {1: alg, 4: kid, 16: typ} plus
// extra labels; a nil alg, kid or typ is left out.
func header(alg any, kid []byte, typ any, extra map[any]any) map[any]any {
	h := map[any]any{}
	if alg != nil {
		h[1] = alg
	}
	if kid != nil {
		h[4] = kid
	}
	if typ != nil {
		h[16] = typ
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// kidOf returns the key id of the named key.
func kidOf(name string) []byte { return token.KeyID(PublicKey(name)) }

// licenseHeader is the protected header issuers emit for a license by key.
func licenseHeader(key string) map[any]any {
	return header(token.AlgEdDSA, kidOf(key), token.TypeLicense, nil)
}

// addPair appends one key/value pair (both already encoded) to an encoded
// map of fewer than 23 pairs, without sorting or checking duplicates.
func addPair(m, k, v []byte) []byte {
	if len(m) == 0 || m[0]>>5 != 5 || m[0]&0x1f >= 23 {
		panic(genError{fmt.Errorf("vectors: addPair needs a small map, got % x", m[:1])})
	}
	out := append([]byte{m[0] + 1}, m[1:]...)
	return cat(out, k, v)
}

// indefiniteMap re-encodes an encoded map of fewer than 24 pairs with an
// indefinite-length head.
func indefiniteMap(m []byte) []byte {
	if len(m) == 0 || m[0]>>5 != 5 || m[0]&0x1f >= 24 {
		panic(genError{fmt.Errorf("vectors: indefiniteMap needs a small map")})
	}
	return cat([]byte{0xbf}, m[1:], []byte{0xff})
}

// license returns the base license of a vector: issued by acme for
// customer-4711 on acme-db, tier pro, version range 2.x.
func license(name string) *token.License {
	return &token.License{
		Issuer:   "acme",
		Subject:  "customer-4711",
		Audience: []string{"acme-db"},
		IssuedAt: tIat,
		Expiry:   tExp,
		ID:       ID(name),
		Tier:     "pro",
		Scopes:   []string{"api:read", "api:write", "reports:*"},
		Versions: ">= 2.0, < 3.0",
		Limits:   map[string]uint64{"seats": 25, "nodes": 3},
		Rights:   []string{"embed"},
		Meta:     map[string]string{"order": "PO-1001"},
	}
}

// claims returns the base license claims as a map, for vectors that
// change them by hand.
func claims(name string) map[any]any {
	return map[any]any{
		1: "acme", 2: "customer-4711", 3: "acme-db",
		4: tExp.Unix(), 6: tIat.Unix(), 7: ID(name),
		"tier": "pro", "scopes": []string{"api:read"},
	}
}

// signLicense signs l with the named key, under grant when not nil.
func signLicense(key string, l *token.License, grant []byte) []byte {
	return must(token.SignLicense(PrivateKey(key), l, grant))
}

// signClaims signs a hand-written license payload with the named key.
func signClaims(key string, payload []byte) []byte {
	return must(token.Sign(PrivateKey(key), token.TypeLicense, payload))
}

// grant returns the base grant: acme lets reseller (the partner key) sell
// acme-db tiers pro and basic, scopes api:* and reports:*, at most 100
// seats, until 2027-06-01, licenses of at most 400 days.
func grant(name string) *token.Grant {
	return &token.Grant{
		Issuer:   "acme",
		Subject:  "reseller",
		Audience: []string{"acme-db"},
		IssuedAt: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
		Expiry:   time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC),
		ID:       ID("grant " + name),
		Key:      PublicKey(KeyPartner),
		Tiers:    []string{"pro", "basic"},
		Scopes:   []string{"api:*", "reports:*"},
		Limits:   map[string]uint64{"seats": 100},
		Rights:   []string{"embed"},
		MaxLife:  durationPtr(400 * 24 * time.Hour),
	}
}

// partnerLicense returns a license that reseller issues within the base
// grant.
func partnerLicense(name string) *token.License {
	return &token.License{
		Issuer:   "reseller",
		Subject:  "customer-99",
		Audience: []string{"acme-db"},
		IssuedAt: tIat,
		Expiry:   time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC),
		ID:       ID(name),
		Tier:     "pro",
		Scopes:   []string{"api:read"},
		Limits:   map[string]uint64{"seats": 10},
		Rights:   []string{"embed"},
	}
}

// signGrant signs g with the named key.
func signGrant(key string, g *token.Grant) []byte {
	return must(token.SignGrant(PrivateKey(key), g))
}

// revocationList returns a revocation list by the vendor key, in compact
// text form, naming ids and key ids.
func revocationList(ids, kids [][]byte) string {
	return must(token.EncodeText(revocationRaw(ids, kids), ""))
}

// revocationRaw is [revocationList] in raw form.
func revocationRaw(ids, kids [][]byte) []byte {
	return must(token.SignRevocations(PrivateKey(KeyVendor), &token.Revocations{
		Issuer:     "acme",
		NextUpdate: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
		IssuedAt:   time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC),
		Seq:        7,
		IDs:        ids,
		KeyIDs:     kids,
	}))
}

// flip returns a copy of b with byte i xored with 0x01; a negative i counts
// from the end.
func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	if i < 0 {
		i += len(out)
	}
	out[i] ^= 0x01
	return out
}

// File is a generated vector file.
type File struct {
	Name string // file name, with .txt
	Data []byte
}

// Generate returns every vector file, sorted by name. The output depends
// on nothing but this code: the same files every time.
func Generate() (files []File, err error) {
	defer func() {
		if r := recover(); r != nil {
			ge, ok := r.(genError)
			if !ok {
				panic(r)
			}
			files, err = nil, ge.err
		}
	}()
	specs := allSpecs()
	seen := map[string]bool{}
	for _, s := range specs {
		if seen[s.name] {
			return nil, fmt.Errorf("vectors: two vectors named %s", s.name)
		}
		seen[s.name] = true
		data, err := s.render()
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: s.name + ".txt", Data: data})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// rawMessage marks already-encoded CBOR inside a map given to marshal.
type rawMessage = cbor.RawMessage

// durationPtr returns a pointer to d, for optional ceilings.
func durationPtr(d time.Duration) *time.Duration { return &d }
