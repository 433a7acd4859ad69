package keys

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

var (
	t2026 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	t2027 = time.Date(2027, 7, 1, 12, 30, 0, 0, time.UTC)
)

func testStore(t *testing.T) *TrustStore {
	t.Helper()
	s := &TrustStore{}
	for _, k := range []TrustedKey{
		{Issuer: "acme", Key: testKey(t, "acme").Public().Key, NotBefore: t2026, NotAfter: t2027, Note: "2026 key <ops@acme.example> & co"},
		{Issuer: "acme", Key: testKey(t, "acme-old").Public().Key, Revoked: true},
		{Issuer: "partner.eu", Key: testKey(t, "partner").Public().Key, NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))},
	} {
		if err := s.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestTrustStoreRoundTrip(t *testing.T) {
	s := testStore(t)
	data, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"{\n  \"licet_keyring\": 1,\n  \"keys\": [\n    {\n      \"issuer\": \"acme\",\n",
		`"kid": "` + hex.EncodeToString(s.Keys[0].KeyID()) + `"`,
		`"public_key": "` + base64.StdEncoding.EncodeToString(s.Keys[0].Key) + `"`,
		`"not_before": "2026-01-01T00:00:00Z"`,
		`"not_after": "2027-07-01T12:30:00Z"`,
		`"note": "2026 key <ops@acme.example> & co"`,
		`"revoked": true`,
		`"not_before": "2025-12-31T23:00:00Z"`, // times are written in UTC
	} {
		if !strings.Contains(text, want) {
			t.Errorf("keyring lacks %s:\n%s", want, text)
		}
	}
	if strings.Count(text, "not_after") != 1 || strings.Count(text, `"note"`) != 1 {
		t.Errorf("empty optional fields are not left out:\n%s", text)
	}

	back, err := ParseTrustStore(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != len(s.Keys) {
		t.Fatalf("%d keys, want %d", len(back.Keys), len(s.Keys))
	}
	for i := range s.Keys {
		a, b := s.Keys[i], back.Keys[i]
		if a.Issuer != b.Issuer || !a.Key.Equal(b.Key) || !a.NotBefore.Equal(b.NotBefore) ||
			!a.NotAfter.Equal(b.NotAfter) || a.Revoked != b.Revoked || a.Note != b.Note {
			t.Errorf("key %d = %+v, want %+v", i, b, a)
		}
	}
	again, err := back.Marshal()
	if err != nil || !bytes.Equal(again, data) {
		t.Errorf("Marshal(Parse(data)) differs from data:\n%s", again)
	}

	empty, err := (&TrustStore{}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(empty) != "{\n  \"licet_keyring\": 1,\n  \"keys\": []\n}\n" {
		t.Errorf("empty keyring = %q", empty)
	}
	if s, err := ParseTrustStore(empty); err != nil || len(s.Keys) != 0 {
		t.Errorf("ParseTrustStore(empty) = %v, %v", s, err)
	}
}

func TestParseTrustStoreErrors(t *testing.T) {
	k := testKey(t, "acme").Public()
	pub := base64.StdEncoding.EncodeToString(k.Key)
	kid := hex.EncodeToString(k.KeyID())
	entry := func(fields string) string {
		return `{"licet_keyring": 1, "keys": [{` + fields + `}]}`
	}
	base := `"issuer": "acme", "kid": "` + kid + `", "public_key": "` + pub + `"`
	withKey := func(raw []byte) string {
		kid := "0011223344556677"
		if len(raw) == 32 {
			kid = hex.EncodeToString(token.KeyID(raw))
		}
		return entry(`"issuer": "acme", "kid": "` + kid + `", "public_key": "` + base64.StdEncoding.EncodeToString(raw) + `"`)
	}
	mustHex := func(s string) []byte { b, _ := hex.DecodeString(s); return b }
	// A full-order key plus the point of order 2: mixed order.
	mixed := mixedOrder(t, k.Key)

	if _, err := ParseTrustStore([]byte(entry(base))); err != nil {
		t.Fatalf("test setup: the base entry does not parse: %v", err)
	}

	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{"empty", "", "empty or truncated"},
		{"not JSON", "acme.pub", "invalid JSON"},
		{"truncated", entry(base)[:40], "empty or truncated"},
		{"array", "[]", "cannot unmarshal"},
		{"no version", `{"keys": []}`, `no "licet_keyring" version`},
		{"version 2", `{"licet_keyring": 2, "keys": []}`, "version 2 is not supported"},
		{"version as text", `{"licet_keyring": "1", "keys": []}`, "cannot unmarshal"},
		{"version as float", `{"licet_keyring": 1.0, "keys": []}`, "cannot unmarshal"},
		{"no keys", `{"licet_keyring": 1}`, `no "keys" array`},
		{"null keys", `{"licet_keyring": 1, "keys": null}`, `no "keys" array`},
		{"unknown top-level field", `{"licet_keyring": 1, "keys": [], "trusted": true}`, `unknown field "trusted"`},
		{"unknown key field", entry(base + `, "expires": "2027-01-01T00:00:00Z"`), `unknown field "expires"`},
		{"field in other case", entry(`"Issuer": "acme", "kid": "` + kid + `", "public_key": "` + pub + `"`), `unknown field "Issuer"`},
		{"duplicate field", entry(base + `, "revoked": true, "revoked": false`), `field "revoked" appears twice`},
		{"duplicate top-level field", `{"licet_keyring": 1, "licet_keyring": 1, "keys": []}`, `field "licet_keyring" appears twice`},
		{"trailing data", entry(base) + " {}", "unexpected data after"},
		{"trailing garbage", entry(base) + " x", "unexpected data after"},
		{"missing issuer", entry(`"kid": "` + kid + `", "public_key": "` + pub + `"`), "key #1: missing issuer"},
		{"missing kid", entry(`"issuer": "acme", "public_key": "` + pub + `"`), "missing kid"},
		{"missing public key", entry(`"issuer": "acme", "kid": "` + kid + `"`), "missing public_key"},
		{"invalid issuer", entry(`"issuer": "acme corp", "kid": "` + kid + `", "public_key": "` + pub + `"`), "issuer id"},
		{"kid does not match", entry(`"issuer": "acme", "kid": "0011223344556677", "public_key": "` + pub + `"`), "does not match public_key"},
		{"kid too short", entry(`"issuer": "acme", "kid": "` + kid[:14] + `", "public_key": "` + pub + `"`), "does not match public_key"},
		{"kid not hex", entry(`"issuer": "acme", "kid": "zz11223344556677", "public_key": "` + pub + `"`), "is not hex"},
		{"public key not base64", entry(`"issuer": "acme", "kid": "` + kid + `", "public_key": "!!"`), "not the standard base64"},
		{"public key in base64url", entry(`"issuer": "acme", "kid": "` + kid + `", "public_key": "` + base64.RawURLEncoding.EncodeToString(k.Key) + `"`), "not the standard base64"},
		{"public key of 31 bytes", withKey(k.Key[:31]), "not the standard base64"},
		{"identity key (small order)", withKey(mustHex("0100000000000000000000000000000000000000000000000000000000000000")), "small order"},
		{"mixed-order key", withKey(mixed), "prime-order subgroup"},
		{"non-canonical y", withKey(mustHex("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), "not canonically encoded"},
		{"duplicate kid", `{"licet_keyring": 1, "keys": [{` + base + `}, {` + base + `, "note": "again"}]}`, "key #2: the keyring already holds key " + kid},
		{"bad time", entry(base + `, "not_before": "2026-01-01"`), "not_before \"2026-01-01\" is not an RFC 3339 time"},
		{"unix time", entry(base + `, "not_after": 1767225600`), "cannot unmarshal"},
		{"not_after before not_before", entry(base + `, "not_before": "2027-01-01T00:00:00Z", "not_after": "2026-01-01T00:00:00Z"`), "not_after must be after not_before"},
		{"not_after equal to not_before", entry(base + `, "not_before": "2027-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z"`), "not_after must be after not_before"},
		{"revoked as text", entry(base + `, "revoked": "yes"`), "cannot unmarshal"},
		{"control character in note", entry(base + `, "note": "a\u001b[31mred"`), "control characters"},
		{"long note", entry(base + `, "note": "` + strings.Repeat("n", MaxNoteLen+1) + `"`), "the note is 1025 bytes"},
		{"invalid UTF-8", "{\"licet_keyring\": 1, \"keys\": [], \"x\": \"\xff\"}", "not UTF-8"},
		{"oversize", `{"licet_keyring": 1, "keys": []}` + strings.Repeat(" ", MaxTrustStoreSize), "larger than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseTrustStore([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParseTrustStore = %+v, want an error", s)
			}
			if !strings.HasPrefix(err.Error(), "keys: ") || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want a keys: error containing %q", err, tc.wantErr)
			}
		})
	}
}

// mixedOrder returns pub plus the point of order 2 (0, -1): a point on the
// curve outside the prime-order subgroup.
func mixedOrder(t *testing.T, pub []byte) []byte {
	t.Helper()
	p := point(t, hex.EncodeToString(pub))
	tors := point(t, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
	return p.Add(p, tors).Bytes()
}

func TestTrustStoreAddRemoveLookup(t *testing.T) {
	s := &TrustStore{}
	k := testKey(t, "acme").Public()
	key := append([]byte(nil), k.Key...)
	if err := s.Add(TrustedKey{Issuer: "acme", Key: key, Note: "n"}); err != nil {
		t.Fatal(err)
	}
	key[0] ^= 1 // the store keeps its own copy
	got, ok := s.Lookup(k.KeyID())
	if !ok || !got.Key.Equal(k.Key) || got.Note != "n" {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}

	for _, tc := range []struct {
		name    string
		k       TrustedKey
		wantErr string
	}{
		{"duplicate kid", TrustedKey{Issuer: "other", Key: k.Key}, "already holds key " + hex.EncodeToString(k.KeyID()) + " (issuer acme)"},
		{"no issuer", TrustedKey{Key: testKey(t, "b").Public().Key}, "issuer id"},
		{"short key", TrustedKey{Issuer: "b", Key: k.Key[:16]}, "16 bytes"},
		{"small-order key", TrustedKey{Issuer: "b", Key: append([]byte{1}, make([]byte, 31)...)}, "small order"},
		{"window reversed", TrustedKey{Issuer: "b", Key: testKey(t, "b").Public().Key, NotBefore: t2027, NotAfter: t2026}, "not_after must be after"},
		{"year 10000", TrustedKey{Issuer: "b", Key: testKey(t, "b").Public().Key, NotAfter: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "years 0001 to 9999"},
		{"newline in note", TrustedKey{Issuer: "b", Key: testKey(t, "b").Public().Key, Note: "a\nb"}, "control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Add(tc.k)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if len(s.Keys) != 1 {
				t.Errorf("the refused key was added: %d keys", len(s.Keys))
			}
		})
	}

	// Lookup gives a pointer into the store.
	got.Revoked = true
	if !s.Keys[0].Revoked {
		t.Error("a change through Lookup's pointer did not reach the store")
	}
	for _, kid := range [][]byte{nil, {}, k.KeyID()[:7], make([]byte, 8)} {
		if _, ok := s.Lookup(kid); ok {
			t.Errorf("Lookup(%x) found a key", kid)
		}
	}

	if err := s.Remove(make([]byte, 8)); err == nil || !strings.Contains(err.Error(), "holds no key 0000000000000000") {
		t.Errorf("Remove(absent) = %v", err)
	}
	if err := s.Remove(nil); err == nil {
		t.Error("Remove(nil) succeeded")
	}
	if err := s.Remove(k.KeyID()); err != nil {
		t.Fatal(err)
	}
	if len(s.Keys) != 0 {
		t.Errorf("%d keys after Remove", len(s.Keys))
	}
	if err := s.Remove(k.KeyID()); err == nil {
		t.Error("second Remove succeeded")
	}
}

// TestTrustStoreRemoveKeepsOthers: removing a key in the middle keeps the
// others, in order.
func TestTrustStoreRemoveKeepsOthers(t *testing.T) {
	s := testStore(t)
	ids := [][]byte{s.Keys[0].KeyID(), s.Keys[1].KeyID(), s.Keys[2].KeyID()}
	if err := s.Remove(ids[1]); err != nil {
		t.Fatal(err)
	}
	if len(s.Keys) != 2 || !bytes.Equal(s.Keys[0].KeyID(), ids[0]) || !bytes.Equal(s.Keys[1].KeyID(), ids[2]) {
		t.Errorf("after Remove: %x %x", s.Keys[0].KeyID(), s.Keys[1].KeyID())
	}
}

// TestTrustStoreRefusesInvalidEdits: what is changed directly in Keys is
// checked again by Marshal, Save and KeySet.
func TestTrustStoreRefusesInvalidEdits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(s *TrustStore)
		wantErr string
	}{
		{"duplicate appended", func(s *TrustStore) { s.Keys = append(s.Keys, s.Keys[0]) }, "key #4: duplicate kid"},
		{"small-order key", func(s *TrustStore) { s.Keys[1].Key = append([]byte{1}, make([]byte, 31)...) }, "key #2: public key is a point of small order"},
		{"issuer cleared", func(s *TrustStore) { s.Keys[2].Issuer = "" }, "key #3: an issuer id"},
		{"window reversed", func(s *TrustStore) { s.Keys[0].NotAfter = t2026.Add(-time.Hour) }, "key #1: not_after must be after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testStore(t)
			tc.edit(s)
			if _, err := s.Marshal(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Marshal: err = %v, want one containing %q", err, tc.wantErr)
			}
			path := filepath.Join(t.TempDir(), "k.json")
			if err := s.Save(path); err == nil {
				t.Error("Save succeeded")
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Save wrote a file it refused: %v", err)
			}
			if _, err := s.KeySet(); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("KeySet: err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestTrustStoreSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trusted.json")

	_, err := LoadTrustStore(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "keys: ") {
		t.Fatalf("LoadTrustStore(missing) = %v, want fs.ErrNotExist", err)
	}

	s := testStore(t)
	if err := s.Save(path); err != nil {
		t.Fatal(err)
	}
	want, _ := s.Marshal()
	checkFile(t, path, string(want), 0o644)

	back, err := LoadTrustStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Keys) != 3 {
		t.Fatalf("%d keys", len(back.Keys))
	}

	// Save replaces the file.
	if err := back.Remove(back.Keys[0].KeyID()); err != nil {
		t.Fatal(err)
	}
	if err := back.Save(path); err != nil {
		t.Fatal(err)
	}
	again, err := LoadTrustStore(path)
	if err != nil || len(again.Keys) != 2 {
		t.Fatalf("after the second Save: %v, %v", again, err)
	}
	checkNoTemp(t, dir)

	// A broken file names itself in the error.
	if err := os.WriteFile(path, []byte(`{"licet_keyring": 9, "keys": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrustStore(path); err == nil || !strings.Contains(err.Error(), "version 9") || !strings.Contains(err.Error(), path) {
		t.Errorf("LoadTrustStore(broken) = %v", err)
	}
	if runtime.GOOS != "windows" {
		if _, err := LoadTrustStore(dir); err == nil {
			t.Error("LoadTrustStore(directory) succeeded")
		}
	}
	// Too large a file is refused without reading it all.
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, bytes.Repeat([]byte(" "), MaxTrustStoreSize+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrustStore(big); err == nil || !strings.Contains(err.Error(), "larger than the limit") {
		t.Errorf("LoadTrustStore(big) = %v", err)
	}
}

// TestTrustStoreKeySet: the keys, windows and revocations of the store are
// what verify enforces.
func TestTrustStoreKeySet(t *testing.T) {
	current := testKey(t, "acme")
	retired := testKey(t, "acme-retired")
	revoked := testKey(t, "acme-revoked")
	unknown := testKey(t, "acme-unknown")
	s := &TrustStore{}
	for _, k := range []TrustedKey{
		{Issuer: "acme", Key: current.Public().Key, NotBefore: t2026},
		{Issuer: "acme", Key: retired.Public().Key, NotAfter: t2026},
		{Issuer: "acme", Key: revoked.Public().Key, Revoked: true},
	} {
		if err := s.Add(k); err != nil {
			t.Fatal(err)
		}
	}
	ks, err := s.KeySet()
	if err != nil {
		t.Fatal(err)
	}
	if ks.Len() != 3 {
		t.Fatalf("KeySet has %d keys", ks.Len())
	}
	now := t2026.AddDate(0, 6, 0)
	v, err := verify.New(ks, verify.WithProduct("widget"), verify.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(k *PrivateKey, iss string, iat time.Time) []byte {
		raw, err := token.SignLicense(k.Signer(), &token.License{
			Issuer: iss, Subject: "customer", Audience: []string{"widget"},
			IssuedAt: iat, Expiry: iat.AddDate(2, 0, 0), ID: make([]byte, token.IDSize), Tier: "pro",
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	for _, tc := range []struct {
		name string
		tok  []byte
		want error // nil: valid
	}{
		{"current key", sign(current, "acme", now.AddDate(0, -1, 0)), nil},
		{"current key, issued before its window", sign(current, "acme", t2026.Add(-time.Hour)), verify.CodeKeyNotValid},
		{"retired key, issued before retirement", sign(retired, "acme", t2026.Add(-time.Hour)), nil},
		{"retired key, issued after retirement", sign(retired, "acme", t2026.Add(time.Hour)), verify.CodeKeyNotValid},
		{"revoked key", sign(revoked, "acme", t2026.Add(-time.Hour)), verify.CodeKeyNotValid},
		{"key not in the store", sign(unknown, "acme", now), verify.CodeUnknownKey},
		{"wrong issuer", sign(current, "evil", now), verify.CodeWrongIssuer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.tok)
			if tc.want == nil && err != nil {
				t.Fatalf("Verify = %v, want valid", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}

	empty, err := (&TrustStore{}).KeySet()
	if err != nil || empty.Len() != 0 {
		t.Errorf("KeySet of an empty store = %v, %v", empty, err)
	}
}

func ExampleTrustStore() {
	s := &TrustStore{}
	_ = s.Add(TrustedKey{Issuer: SandboxIssuer, Key: Sandbox().Public().Key, Note: "demos only"})
	data, _ := s.Marshal()
	fmt.Printf("%s", data)
	// Output:
	// {
	//   "licet_keyring": 1,
	//   "keys": [
	//     {
	//       "issuer": "licet-sandbox",
	//       "kid": "5e1d73ccd21590e0",
	//       "public_key": "qMeStAzvGcpRSb1kj3VbCET1T43cpzEtxGrA27pKSpg=",
	//       "revoked": false,
	//       "note": "demos only"
	//     }
	//   ]
	// }
}
