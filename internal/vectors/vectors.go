// Package vectors loads and generates licet's language-neutral test vectors:
// the files testdata/vectors/*.txt at the root of the module.
//
// # Format
//
// A vector file is a header, a blank line and a token. The format is
// documented for implementers in other languages in
// testdata/vectors/README.md; [Parse] is its reference reader. In short:
//
//	# what the vector checks (comment lines)
//	expect: valid | <code of FORMAT section 8>
//	now: 2026-06-01T12:00:00Z
//	product: acme-db
//	version: 2.1.0
//	scopes: api:read api:write
//	bind: host=fp-7f3a
//	key: <64 hex digits> issuer=acme not_before=<RFC 3339> not_after=<RFC 3339> revoked
//	revocations: licet1.<base64url>
//	leeway: 300
//	build_date: 2026-02-15T00:00:00Z
//	in_grace: false
//	fallback: true
//
//	licet1.<base64url>
//
// # Running them
//
// [ForEach] runs a function on every vector as a subtest named after the
// file; the token and verify tests use it, and the fuzz targets use [Load]
// to seed their corpus.
//
// # Generating them
//
// The files are written by [Generate], deterministically (fixed key seeds,
// ids and times), through
//
//	go test ./internal/vectors -run TestGenerate -update
//
// Without -update, TestGenerate checks that the committed files are exactly
// what [Generate] produces.
package vectors

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Expectations other than an error code.
const (
	// ExpectValid is the expect value of a vector that verifies.
	ExpectValid = "valid"
	// ExpectMalformed is the code of a vector that is not a well-formed
	// license; its [Vector.Stage] says which level rejects it.
	ExpectMalformed = "malformed"
)

// Stages at which a malformed vector is rejected.
const (
	// StageEnvelope: the armor, the COSE_Sign1 structure or the protected
	// header (FORMAT section 8, step 1).
	StageEnvelope = "envelope"
	// StageClaims: the claims set, once the signature verified (step 6).
	StageClaims = "claims"
)

// Forms of the token section of a vector file.
const (
	FormText = "text" // PREFIX.base64url on one line
	FormPEM  = "pem"  // a -----BEGIN LICET ...----- block
	FormRaw  = "raw"  // "raw: " and the COSE_Sign1 bytes in hex
)

// DefaultLeeway is the leeway of a vector without a leeway line.
const DefaultLeeway = 5 * time.Minute

// Key is a trusted public key of a vector, as a verifier's trust store
// would hold it.
type Key struct {
	Public    ed25519.PublicKey
	Issuer    string    // "" when the key names no issuer
	NotBefore time.Time // zero when open
	NotAfter  time.Time // zero when open
	Revoked   bool
}

// Vector is one parsed vector file.
type Vector struct {
	// Name is the file name without ".txt".
	Name string
	// Comment is the text of the "#" lines, joined by newlines.
	Comment string
	// Expect is [ExpectValid] or a code of FORMAT section 8.
	Expect string
	// Stage is [StageEnvelope] or [StageClaims] for a malformed vector,
	// "" otherwise.
	Stage string
	// Now is the verifier's clock.
	Now time.Time
	// Product is the product id the verifier checks aud against.
	Product string
	// Version is the running product's version, "" when the vector gives
	// none (then version constraints are not checked).
	Version string
	// Scopes are the scopes the caller requires.
	Scopes []string
	// Bind holds this machine's binding values, nil when none.
	Bind map[string]string
	// Keys are the trusted keys, at least one.
	Keys []Key
	// Revocations is the armored revocation list given to the verifier, nil
	// when none. It is signed by a trusted key and always valid.
	Revocations []byte
	// Leeway is the tolerated clock skew, [DefaultLeeway] unless given.
	Leeway time.Duration
	// InGrace is the expected in-grace flag of a valid vector.
	InGrace bool
	// BuildDate is the release date of the running build, for perpetual
	// fallback; zero when the vector gives none.
	BuildDate time.Time
	// Fallback is the expected perpetual-fallback flag of a valid vector.
	Fallback bool
	// Form is the form of the token: [FormText], [FormPEM] or [FormRaw].
	Form string
	// Token is the input to give a verifier: the compact text (trimmed),
	// the PEM block, or the raw bytes.
	Token []byte
}

// KnownBugs names the vectors that the Go implementation currently gets
// wrong, each with the bug report. The Go runners skip them, so that a
// known, reported bug does not hide new failures; a fix removes its entry.
// The vectors themselves are right: other implementations run them all.
var KnownBugs = map[string]string{}

// Codes lists the codes of FORMAT section 8, in the order of the checks.
var Codes = []string{
	"malformed", "unsupported_alg", "wrong_type", "unknown_key",
	"bad_signature", "key_not_valid", "wrong_issuer", "wrong_product",
	"not_yet_valid", "expired", "version_not_covered", "binding_mismatch",
	"revoked", "scope_missing", "grant_invalid", "grant_violation",
}

func knownExpect(s string) bool {
	if s == ExpectValid {
		return true
	}
	for _, c := range Codes {
		if c == s {
			return true
		}
	}
	return false
}

// Parse parses the content of one vector file. Unknown header lines,
// repeated single-valued lines and missing required lines are errors, so
// that a typo cannot silently weaken a vector.
func Parse(name string, data []byte) (*Vector, error) {
	v := &Vector{Name: name, Leeway: DefaultLeeway}
	header, body, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("vectors: %s: no blank line between header and token", name)
	}
	seen := map[string]bool{}
	var comments []string
	sc := bufio.NewScanner(bytes.NewReader(header))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			comments = append(comments, strings.TrimSpace(strings.TrimPrefix(line, "#")))
			continue
		}
		k, val, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("vectors: %s: header line %q is not \"name: value\"", name, line)
		}
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		if k != "key" && k != "bind" && seen[k] {
			return nil, fmt.Errorf("vectors: %s: header %q given twice", name, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "expect":
			if !knownExpect(val) {
				err = fmt.Errorf("unknown expectation %q", val)
			}
			v.Expect = val
		case "stage":
			if val != StageEnvelope && val != StageClaims {
				err = fmt.Errorf("stage %q is neither %s nor %s", val, StageEnvelope, StageClaims)
			}
			v.Stage = val
		case "now":
			v.Now, err = parseTime(val)
		case "product":
			v.Product = val
		case "version":
			v.Version = val
		case "scopes":
			v.Scopes = strings.Fields(val)
		case "bind":
			bk, bv, ok := strings.Cut(val, "=")
			if !ok || bk == "" {
				err = fmt.Errorf("bind %q is not key=value", val)
				break
			}
			if v.Bind == nil {
				v.Bind = map[string]string{}
			}
			if _, dup := v.Bind[bk]; dup {
				err = fmt.Errorf("bind key %q given twice", bk)
			}
			v.Bind[bk] = bv
		case "key":
			var key Key
			key, err = parseKey(val)
			v.Keys = append(v.Keys, key)
		case "revocations":
			v.Revocations = []byte(val)
		case "leeway":
			var n uint64
			n, err = strconv.ParseUint(val, 10, 32)
			v.Leeway = time.Duration(n) * time.Second
		case "in_grace":
			v.InGrace, err = strconv.ParseBool(val)
		case "build_date":
			v.BuildDate, err = parseTime(val)
		case "fallback":
			v.Fallback, err = strconv.ParseBool(val)
		default:
			err = fmt.Errorf("unknown header %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("vectors: %s: %s: %w", name, k, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vectors: %s: %w", name, err)
	}
	v.Comment = strings.Join(comments, "\n")
	for _, req := range []string{"expect", "now", "product", "key"} {
		if !seen[req] {
			return nil, fmt.Errorf("vectors: %s: missing header %q", name, req)
		}
	}
	if (v.Expect == ExpectMalformed) != (v.Stage != "") {
		return nil, fmt.Errorf("vectors: %s: stage is given exactly for malformed vectors", name)
	}
	if seen["in_grace"] && v.Expect != ExpectValid {
		return nil, fmt.Errorf("vectors: %s: in_grace is for valid vectors only", name)
	}
	if seen["fallback"] && v.Expect != ExpectValid {
		return nil, fmt.Errorf("vectors: %s: fallback is for valid vectors only", name)
	}
	body = bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte("raw:")):
		raw, err := hex.DecodeString(string(bytes.TrimSpace(body[len("raw:"):])))
		if err != nil {
			return nil, fmt.Errorf("vectors: %s: raw token: %w", name, err)
		}
		v.Form, v.Token = FormRaw, raw
	case bytes.HasPrefix(body, []byte("-----BEGIN ")):
		v.Form, v.Token = FormPEM, append(body, '\n')
	case len(body) == 0:
		return nil, fmt.Errorf("vectors: %s: no token after the header", name)
	default:
		if bytes.ContainsAny(body, "\r\n") {
			return nil, fmt.Errorf("vectors: %s: compact text token spans several lines", name)
		}
		v.Form, v.Token = FormText, body
	}
	return v, nil
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func parseKey(s string) (Key, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return Key{}, errors.New("empty key line")
	}
	pub, err := hex.DecodeString(f[0])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return Key{}, fmt.Errorf("public key %q is not 64 hex digits", f[0])
	}
	k := Key{Public: pub}
	for _, attr := range f[1:] {
		if attr == "revoked" {
			k.Revoked = true
			continue
		}
		a, val, ok := strings.Cut(attr, "=")
		if !ok {
			return Key{}, fmt.Errorf("key attribute %q is not name=value or revoked", attr)
		}
		switch a {
		case "issuer":
			k.Issuer = val
		case "not_before":
			k.NotBefore, err = parseTime(val)
		case "not_after":
			k.NotAfter, err = parseTime(val)
		default:
			err = fmt.Errorf("unknown key attribute %q", a)
		}
		if err != nil {
			return Key{}, err
		}
	}
	return k, nil
}

// Dir returns the directory of the vector files, testdata/vectors at the
// root of the module, found by walking up from the working directory to
// go.mod.
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("vectors: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata", "vectors"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("vectors: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Load parses every *.txt file of dir, sorted by name.
func Load(dir string) ([]*Vector, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("vectors: no vector files in %s", dir)
	}
	sort.Strings(names)
	out := make([]*Vector, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("vectors: %w", err)
		}
		v, err := Parse(strings.TrimSuffix(filepath.Base(n), ".txt"), data)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// LoadAll is [Load] of [Dir].
func LoadAll() ([]*Vector, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return Load(dir)
}

// ForEach runs f on every vector of [Dir], each as a subtest
// named after its file. It fails t if the vectors cannot be loaded.
func ForEach(t *testing.T, f func(t *testing.T, v *Vector)) {
	t.Helper()
	vs, err := LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) { f(t, v) })
	}
}
