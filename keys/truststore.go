package keys

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/licet/licet/internal/strictjson"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// TrustStoreVersion is the value of "licet_keyring" in the files this
// package reads and writes.
const TrustStoreVersion = 1

// Limits on a trust store file.
const (
	MaxTrustStoreSize = 1 << 20 // bytes
	MaxTrustedKeys    = 10000
	MaxNoteLen        = 1024 // bytes
)

// TrustedKey is a trusted public key: the issuer its licenses must carry
// and an optional validity window.
type TrustedKey struct {
	Issuer    string
	Key       ed25519.PublicKey
	NotBefore time.Time // zero: open; bounds the iat of what the key signed
	NotAfter  time.Time // zero: open; a retired key keeps verifying what it issued before this
	Revoked   bool      // a revoked key verifies nothing
	Note      string
}

// KeyID returns the key id of t (token.KeyID), or nil if t.Key is not 32
// bytes long.
func (t *TrustedKey) KeyID() []byte { return keyID(t.Key) }

// Validate checks t as Add does: a valid issuer id, a key that passes
// CheckPublicKey, times within the years 0001 to 9999 with NotAfter after
// NotBefore, and a note of at most MaxNoteLen bytes of UTF-8 without
// control characters.
func (t *TrustedKey) Validate() error {
	if err := checkIssuer(t.Issuer); err != nil {
		return err
	}
	if err := CheckPublicKey(t.Key); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		t    time.Time
	}{{"not_before", t.NotBefore}, {"not_after", t.NotAfter}} {
		if y := c.t.Year(); !c.t.IsZero() && (y < 1 || y > 9999) {
			return fmt.Errorf("keys: %s is outside the years 0001 to 9999", c.name)
		}
	}
	if !t.NotBefore.IsZero() && !t.NotAfter.IsZero() && !t.NotAfter.After(t.NotBefore) {
		return errors.New("keys: not_after must be after not_before")
	}
	if len(t.Note) > MaxNoteLen {
		return fmt.Errorf("keys: the note is %d bytes, at most %d", len(t.Note), MaxNoteLen)
	}
	if !utf8.ValidString(t.Note) || strings.IndexFunc(t.Note, unicode.IsControl) >= 0 {
		return errors.New("keys: the note must be UTF-8 text without control characters")
	}
	return nil
}

// TrustStore (keyring) is a human-editable JSON file of trusted public keys:
//
//	{
//	  "licet_keyring": 1,
//	  "keys": [
//	    {
//	      "issuer": "acme",
//	      "kid": "0011223344556677",
//	      "public_key": "<base64 of the raw 32-byte key>",
//	      "not_before": "2026-01-01T00:00:00Z",
//	      "not_after": "2027-01-01T00:00:00Z",
//	      "revoked": false,
//	      "note": "free text"
//	    }
//	  ]
//	}
//
// not_before, not_after and note may be left out.
type TrustStore struct{ Keys []TrustedKey }

type trustStoreJSON struct {
	Version *int             `json:"licet_keyring"`
	Keys    []trustedKeyJSON `json:"keys"`
}

type trustedKeyJSON struct {
	Issuer    string `json:"issuer"`
	KID       string `json:"kid"`
	PublicKey string `json:"public_key"`
	NotBefore string `json:"not_before,omitempty"`
	NotAfter  string `json:"not_after,omitempty"`
	Revoked   bool   `json:"revoked"`
	Note      string `json:"note,omitempty"`
}

// ParseTrustStore parses a trust store strictly: the version must be
// TrustStoreVersion; unknown and duplicate fields, trailing data and
// duplicate kids are refused; each kid is recomputed from its public key and
// must match; each key must pass TrustedKey.Validate.
func ParseTrustStore(data []byte) (*TrustStore, error) {
	if len(data) > MaxTrustStoreSize {
		return nil, fmt.Errorf("keys: keyring is larger than the limit of %d bytes", MaxTrustStoreSize)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("keys: keyring is not UTF-8 text")
	}
	// A field named twice (encoding/json would silently keep the last one,
	// and a reader of the file may see the first) or in other letter case.
	if err := strictjson.CheckFields(data, knownFields); err != nil {
		return nil, fmt.Errorf("keys: keyring: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j trustStoreJSON
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("keys: keyring: %v", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("keys: keyring: unexpected data after the JSON object")
	}
	switch {
	case j.Version == nil:
		return nil, errors.New("keys: not a licet keyring: no \"licet_keyring\" version field")
	case *j.Version != TrustStoreVersion:
		return nil, fmt.Errorf("keys: keyring version %d is not supported (want %d)", *j.Version, TrustStoreVersion)
	case j.Keys == nil:
		return nil, errors.New("keys: keyring has no \"keys\" array")
	case len(j.Keys) > MaxTrustedKeys:
		return nil, fmt.Errorf("keys: keyring holds %d keys, at most %d", len(j.Keys), MaxTrustedKeys)
	}
	s := &TrustStore{Keys: make([]TrustedKey, 0, len(j.Keys))}
	for i, jk := range j.Keys {
		k, err := jk.decode()
		if err != nil {
			return nil, fmt.Errorf("keys: keyring key #%d: %s", i+1, strings.TrimPrefix(err.Error(), "keys: "))
		}
		if err := s.Add(*k); err != nil {
			return nil, fmt.Errorf("keys: keyring key #%d: %s", i+1, strings.TrimPrefix(err.Error(), "keys: "))
		}
	}
	return s, nil
}

func (jk *trustedKeyJSON) decode() (*TrustedKey, error) {
	if jk.Issuer == "" {
		return nil, errors.New("keys: missing issuer")
	}
	if jk.PublicKey == "" {
		return nil, errors.New("keys: missing public_key")
	}
	if jk.KID == "" {
		return nil, errors.New("keys: missing kid")
	}
	pub, err := base64.StdEncoding.Strict().DecodeString(jk.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("keys: public_key is not the standard base64 of a raw 32-byte Ed25519 key")
	}
	kid, err := hex.DecodeString(jk.KID)
	if err != nil {
		return nil, fmt.Errorf("keys: kid %q is not hex", jk.KID)
	}
	if want := keyID(pub); !bytes.Equal(kid, want) {
		return nil, fmt.Errorf("keys: kid %s does not match public_key, whose kid is %x", jk.KID, want)
	}
	k := &TrustedKey{Issuer: jk.Issuer, Key: pub, Revoked: jk.Revoked, Note: jk.Note}
	if k.NotBefore, err = parseTime("not_before", jk.NotBefore); err != nil {
		return nil, err
	}
	if k.NotAfter, err = parseTime("not_after", jk.NotAfter); err != nil {
		return nil, err
	}
	return k, nil
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("keys: %s %q is not an RFC 3339 time such as 2026-01-02T15:04:05Z", name, s)
	}
	return t, nil
}

// jsonError makes encoding/json's errors read well after a "keys: " prefix.
func jsonError(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "invalid JSON: the file is empty or truncated"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// knownFields are the field names of a keyring file. encoding/json matches
// names without regard to case; the file format does not.
var knownFields = map[string]bool{
	"licet_keyring": true, "keys": true,
	"issuer": true, "kid": true, "public_key": true, "not_before": true,
	"not_after": true, "revoked": true, "note": true,
}

// LoadTrustStore reads and parses a trust store file. A missing file gives
// an error wrapping fs.ErrNotExist.
func LoadTrustStore(path string) (*TrustStore, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: reading keyring: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxTrustStoreSize+1))
	if err != nil {
		return nil, fmt.Errorf("keys: reading keyring: %w", err)
	}
	s, err := ParseTrustStore(data)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return s, nil
}

// Marshal returns s as an indented JSON file, keys in their order in s.
// It refuses a store that ParseTrustStore would refuse.
func (s *TrustStore) Marshal() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	j := trustStoreJSON{Version: new(int), Keys: make([]trustedKeyJSON, 0, len(s.Keys))}
	*j.Version = TrustStoreVersion
	for i := range s.Keys {
		k := &s.Keys[i]
		j.Keys = append(j.Keys, trustedKeyJSON{
			Issuer:    k.Issuer,
			KID:       hex.EncodeToString(k.KeyID()),
			PublicKey: base64.StdEncoding.EncodeToString(k.Key),
			NotBefore: formatTime(k.NotBefore),
			NotAfter:  formatTime(k.NotAfter),
			Revoked:   k.Revoked,
			Note:      k.Note,
		})
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&j); err != nil {
		return nil, fmt.Errorf("keys: %v", err)
	}
	return b.Bytes(), nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Save writes s to path atomically, with mode 0644, replacing the file.
func (s *TrustStore) Save(path string) error {
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	return WriteFile(path, data, 0o644, true)
}

// check validates every key and refuses duplicate kids.
func (s *TrustStore) check() error {
	if len(s.Keys) > MaxTrustedKeys {
		return fmt.Errorf("keys: keyring holds %d keys, at most %d", len(s.Keys), MaxTrustedKeys)
	}
	seen := make(map[string]bool, len(s.Keys))
	for i := range s.Keys {
		k := &s.Keys[i]
		if err := k.Validate(); err != nil {
			return fmt.Errorf("keys: keyring key #%d: %s", i+1, strings.TrimPrefix(err.Error(), "keys: "))
		}
		id := string(k.KeyID())
		if seen[id] {
			return fmt.Errorf("keys: keyring key #%d: duplicate kid %x", i+1, k.KeyID())
		}
		seen[id] = true
	}
	return nil
}

// Add appends a copy of k. It refuses a key that fails TrustedKey.Validate
// and a key whose kid is already in s.
func (s *TrustStore) Add(k TrustedKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if len(s.Keys) >= MaxTrustedKeys {
		return fmt.Errorf("keys: keyring already holds %d keys, the limit", len(s.Keys))
	}
	kid := k.KeyID()
	if old, ok := s.Lookup(kid); ok {
		return fmt.Errorf("keys: the keyring already holds key %x (issuer %s)", kid, old.Issuer)
	}
	k.Key = append(ed25519.PublicKey(nil), k.Key...)
	s.Keys = append(s.Keys, k)
	return nil
}

// Remove removes the key with the given kid; it is an error if there is none.
func (s *TrustStore) Remove(kid []byte) error {
	i := s.find(kid)
	if i < 0 {
		return fmt.Errorf("keys: the keyring holds no key %x", kid)
	}
	s.Keys = append(s.Keys[:i], s.Keys[i+1:]...)
	return nil
}

// Lookup returns the key with the given kid, as a pointer into s.Keys: a
// change through it changes s.
func (s *TrustStore) Lookup(kid []byte) (*TrustedKey, bool) {
	if i := s.find(kid); i >= 0 {
		return &s.Keys[i], true
	}
	return nil, false
}

// find returns the index of the key with the given kid, or -1.
func (s *TrustStore) find(kid []byte) int {
	if len(kid) != token.KeyIDSize {
		return -1
	}
	for i := range s.Keys {
		if bytes.Equal(s.Keys[i].KeyID(), kid) {
			return i
		}
	}
	return -1
}

// KeySet returns the keys of s as a verify.KeySet, to build a
// verify.Verifier. It refuses a store that ParseTrustStore would refuse.
func (s *TrustStore) KeySet() (*verify.KeySet, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ks := make([]verify.Key, len(s.Keys))
	for i, k := range s.Keys {
		ks[i] = verify.Key{PublicKey: k.Key, Issuer: k.Issuer, NotBefore: k.NotBefore, NotAfter: k.NotAfter, Revoked: k.Revoked}
	}
	return verify.NewKeySet(ks...)
}
