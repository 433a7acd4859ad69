package keys

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pass returns a passphrase callback that counts its calls.
func pass(s string, calls *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*calls++
		return []byte(s), nil
	}
}

// noPass is a passphrase callback that fails the test if called.
func noPass(t *testing.T) func() ([]byte, error) {
	return func() ([]byte, error) {
		t.Helper()
		t.Error("the passphrase was asked for")
		return nil, errors.New("no passphrase")
	}
}

// setHeader replaces the value of a header line in a key file.
func setHeader(t *testing.T, file []byte, name, value string) []byte {
	t.Helper()
	lines := strings.Split(string(file), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, name+": ") {
			lines[i] = name + ": " + value
			return []byte(strings.Join(lines, "\n"))
		}
	}
	t.Fatalf("no header %s", name)
	return nil
}

// header returns the value of a header line in a key file.
func header(t *testing.T, file []byte, name string) string {
	t.Helper()
	for _, l := range strings.Split(string(file), "\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	t.Fatalf("no header %s", name)
	return ""
}

// setBody replaces the base64 data of a key file.
func setBody(file []byte, body []byte) []byte {
	s := string(file)
	i := strings.Index(s, "\n\n") + 2
	j := strings.Index(s, "-----END")
	return []byte(s[:i] + base64.StdEncoding.EncodeToString(body) + "\n" + s[j:])
}

func TestEncryptedRoundTrip(t *testing.T) {
	k := testKey(t, "acme")
	data, err := k.MarshalEncrypted([]byte("correct horse"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		"-----BEGIN LICET ENCRYPTED PRIVATE KEY-----\nIssuer: acme\nKey-ID: " + hex.EncodeToString(k.KeyID()) + "\n",
		"Public-Key: " + base64.StdEncoding.EncodeToString(k.Public().Key) + "\n",
		"KDF: argon2id\nKDF-Params: t=1,m=64,p=1\nSalt: ",
		"-----END LICET ENCRYPTED PRIVATE KEY-----\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("encrypted file lacks %q:\n%s", want, s)
		}
	}
	if bytes.Contains(data, []byte(base64.StdEncoding.EncodeToString(k.Key.Seed()))) {
		t.Error("the seed is in the file in clear")
	}
	if !IsEncrypted(data) {
		t.Error("IsEncrypted = false")
	}

	calls := 0
	back, err := ParsePrivateKey(data, pass("correct horse", &calls))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("passphrase called %d times, want 1", calls)
	}
	if !back.Key.Equal(k.Key) || back.Issuer != "acme" {
		t.Errorf("ParsePrivateKey = %q %x, want acme %x", back.Issuer, back.Key, k.Key)
	}

	info, err := ReadKeyInfo(data)
	if err != nil {
		t.Fatal(err)
	}
	if !info.Private || !info.Encrypted || info.Public.Issuer != "acme" || !info.Public.Key.Equal(k.Public().Key) {
		t.Errorf("ReadKeyInfo = %+v %+v", info, info.Public)
	}

	// Fresh salt and nonce every time.
	data2, err := k.MarshalEncrypted([]byte("correct horse"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if header(t, data, "Salt") == header(t, data2, "Salt") || header(t, data, "Nonce") == header(t, data2, "Nonce") {
		t.Error("two encryptions share a salt or nonce")
	}
}

func TestEncryptedDeterministicWithRand(t *testing.T) {
	k := testKey(t, "acme")
	a, err := k.marshalEncrypted(newTestRand("salt"), []byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	b, err := k.marshalEncrypted(newTestRand("salt"), []byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("same randomness, different files")
	}
	if _, err := k.marshalEncrypted(errReader{}, []byte("pw"), FastKDF()); err == nil || !strings.Contains(err.Error(), "randomness") {
		t.Errorf("failing randomness: err = %v", err)
	}
}

// TestDefaultKDF is the one test that pays for DefaultKDF.
func TestDefaultKDF(t *testing.T) {
	if DefaultKDF() != (KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}) {
		t.Fatalf("DefaultKDF() = %+v", DefaultKDF())
	}
	k := testKey(t, "acme")
	start := time.Now()
	data, err := k.MarshalEncrypted([]byte("pw"), DefaultKDF())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("encrypting with DefaultKDF() took %v", time.Since(start))
	if got := header(t, data, "KDF-Params"); got != "t=3,m=65536,p=4" {
		t.Errorf("KDF-Params = %q", got)
	}
	start = time.Now()
	calls := 0
	back, err := ParsePrivateKey(data, pass("pw", &calls))
	if err != nil || !back.Key.Equal(k.Key) {
		t.Fatalf("ParsePrivateKey = %v", err)
	}
	t.Logf("decrypting with DefaultKDF() took %v", time.Since(start))
}

func TestFastKDFIsArgon2idWithinCaps(t *testing.T) {
	if err := FastKDF().check(); err != nil {
		t.Fatal(err)
	}
	if FastKDF().MemoryKiB > 1024 || FastKDF().Time > 1 {
		t.Errorf("FastKDF() = %+v is not tiny", FastKDF())
	}
}

func TestWrongPassphrase(t *testing.T) {
	k := testKey(t, "acme")
	data, err := k.MarshalEncrypted([]byte("right"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"wrong", "righ", "right ", ""} {
		calls := 0
		_, err := ParsePrivateKey(data, pass(pw, &calls))
		if !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("passphrase %q: err = %v, want ErrWrongPassphrase", pw, err)
		}
	}
	if ErrWrongPassphrase.Error() != "keys: wrong passphrase, or the key file was modified" {
		t.Errorf("ErrWrongPassphrase = %q", ErrWrongPassphrase)
	}
}

// TestTamperedEncryptedKey: a well-formed change to any header or to the
// ciphertext makes decryption fail, with the right passphrase.
func TestTamperedEncryptedKey(t *testing.T) {
	k := testKey(t, "acme")
	other := testKey(t, "other")
	data, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	ct, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Split(strings.Split(string(data), "\n\n")[1], "-----END")[0]))
	flip := func(i int) []byte {
		c := append([]byte(nil), ct...)
		c[i] ^= 1
		return c
	}
	salt, _ := base64.StdEncoding.DecodeString(header(t, data, "Salt"))
	salt[0] ^= 1
	nonce, _ := base64.StdEncoding.DecodeString(header(t, data, "Nonce"))
	nonce[23] ^= 1

	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"issuer", setHeader(t, data, "Issuer", "evil")},
		{"public key and kid of another key", setHeader(t, setHeader(t, data, "Public-Key", b64(other.Public().Key)), "Key-ID", hex.EncodeToString(other.KeyID()))},
		{"KDF time", setHeader(t, data, "KDF-Params", "t=2,m=64,p=1")},
		{"KDF memory", setHeader(t, data, "KDF-Params", "t=1,m=72,p=1")},
		{"KDF threads", setHeader(t, data, "KDF-Params", "t=1,m=64,p=2")},
		{"salt", setHeader(t, data, "Salt", b64(salt))},
		{"nonce", setHeader(t, data, "Nonce", b64(nonce))},
		{"first ciphertext byte", setBody(data, flip(0))},
		{"last tag byte", setBody(data, flip(len(ct)-1))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if bytes.Equal(tc.file, data) {
				t.Fatal("test setup: the file did not change")
			}
			calls := 0
			_, err := ParsePrivateKey(tc.file, pass("pw", &calls))
			if !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("err = %v, want ErrWrongPassphrase", err)
			}
		})
	}
}

// TestEncryptedKeyParseErrors: a garbled or truncated file is a clear error
// before the passphrase is asked for.
func TestEncryptedKeyParseErrors(t *testing.T) {
	k := testKey(t, "acme")
	data, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	ct, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Split(strings.Split(s, "\n\n")[1], "-----END")[0]))
	drop := func(name string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, name+": ") {
				return strings.Join(append(lines[:i:i], lines[i+1:]...), "\n")
			}
		}
		t.Fatalf("no header %s", name)
		return ""
	}
	swap := strings.Replace(strings.Replace(s, "Salt: ", "Xalt: ", 1), "Nonce: ", "Salt: ", 1)
	swap = strings.Replace(swap, "Xalt: ", "Nonce: ", 1)

	for _, tc := range []struct {
		name, in string
		wantErr  string
	}{
		{"missing header", drop("Nonce"), `missing PEM header "Nonce"`},
		{"unknown header", strings.Replace(s, "KDF: argon2id\n", "KDF: argon2id\nComment: hi\n", 1), `unknown PEM header "Comment"`},
		{"duplicate header", strings.Replace(s, "KDF: argon2id\n", "KDF: argon2id\nKDF: argon2id\n", 1), `duplicate PEM header "KDF"`},
		{"headers out of order", swap, "out of order"},
		{"other KDF", string(setHeader(t, data, "KDF", "scrypt")), `unsupported KDF "scrypt"`},
		{"KDF-Params garbled", string(setHeader(t, data, "KDF-Params", "t=1;m=64;p=1")), "malformed KDF-Params"},
		{"KDF-Params reordered", string(setHeader(t, data, "KDF-Params", "m=64,t=1,p=1")), "malformed KDF-Params"},
		{"KDF-Params leading zero", string(setHeader(t, data, "KDF-Params", "t=01,m=64,p=1")), "malformed KDF-Params"},
		{"KDF-Params sign", string(setHeader(t, data, "KDF-Params", "t=+1,m=64,p=1")), "malformed KDF-Params"},
		{"KDF-Params negative", string(setHeader(t, data, "KDF-Params", "t=-1,m=64,p=1")), "malformed KDF-Params"},
		{"KDF-Params four values", string(setHeader(t, data, "KDF-Params", "t=1,m=64,p=1,v=19")), "malformed KDF-Params"},
		{"zero passes", string(setHeader(t, data, "KDF-Params", "t=0,m=64,p=1")), "passes and threads must be at least 1"},
		{"zero threads", string(setHeader(t, data, "KDF-Params", "t=1,m=64,p=0")), "passes and threads must be at least 1"},
		{"memory below 8 KiB per thread", string(setHeader(t, data, "KDF-Params", "t=1,m=15,p=2")), "at least 8 KiB per thread"},
		{"short salt", string(setHeader(t, data, "Salt", base64.StdEncoding.EncodeToString(make([]byte, 15)))), "Salt header"},
		{"salt not base64", string(setHeader(t, data, "Salt", "@@@@")), "Salt header"},
		{"unpadded salt", string(setHeader(t, data, "Salt", strings.TrimRight(header(t, data, "Salt"), "="))), "Salt header"},
		{"short nonce", string(setHeader(t, data, "Nonce", base64.StdEncoding.EncodeToString(make([]byte, 12)))), "Nonce header"},
		{"kid does not match the public key", string(setHeader(t, data, "Key-ID", "0011223344556677")), "Key-ID header"},
		{"kid in upper case", string(setHeader(t, data, "Key-ID", strings.ToUpper(hex.EncodeToString(k.KeyID())))), "Key-ID header"},
		{"public key too short", string(setHeader(t, data, "Public-Key", base64.StdEncoding.EncodeToString(make([]byte, 31)))), "Public-Key header"},
		{"public key of small order", string(setHeader(t, data, "Public-Key", base64.StdEncoding.EncodeToString(append([]byte{1}, make([]byte, 31)...)))), "small order"},
		{"invalid issuer", string(setHeader(t, data, "Issuer", "acme corp")), "Issuer header"},
		{"empty issuer", strings.Replace(s, "Issuer: acme", "Issuer:", 1), "Issuer header"},
		{"header without colon value", strings.Replace(s, "KDF: argon2id", ": argon2id", 1), "malformed PEM header"},
		{"no blank line after headers", strings.Replace(s, "\n\n", "\n", 1), "headers are not followed by a blank line"},
		{"ciphertext truncated", string(setBody(data, ct[:40])), "truncated or corrupt"},
		{"ciphertext too long", string(setBody(data, append(ct, 0))), "truncated or corrupt"},
		{"no END line", s[:strings.Index(s, "-----END")], "no -----END LICET ENCRYPTED PRIVATE KEY----- line"},
		{"cut inside the headers", s[:strings.Index(s, "Salt")], "truncated key file"},
		{"base64 garbled", strings.Replace(s, "\n\n", "\n\n*", 1), "corrupt or truncated"},
		{"issuer comment disagrees", "# issuer: other\n" + s, "issuer comment"},
		{"kid comment disagrees", "# kid: 0011223344556677\n" + s, "kid comment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey([]byte(tc.in), noPass(t))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "keys: ") {
				t.Errorf("err = %v, want an error containing %q", err, tc.wantErr)
			}
			if errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("err = %v: a parse error, not a wrong passphrase", err)
			}
			if _, err := ReadKeyInfo([]byte(tc.in)); err == nil {
				t.Error("ReadKeyInfo accepted it")
			}
			if IsEncrypted([]byte(tc.in)) && strings.Contains(tc.wantErr, "-----") {
				t.Error("IsEncrypted accepted a truncated file")
			}
		})
	}

	// Matching comments before the block are fine.
	ok := fmt.Sprintf("# licet private key\n# issuer: acme\n# kid: %x\n%s", k.KeyID(), s)
	calls := 0
	if _, err := ParsePrivateKey([]byte(ok), pass("pw", &calls)); err != nil {
		t.Errorf("matching comments: %v", err)
	}
}

// TestTruncatedKeyFiles: every prefix of a key file is refused (none is
// complete before the final newline), and nothing panics.
func TestTruncatedKeyFiles(t *testing.T) {
	k := testKey(t, "acme")
	enc, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range [][]byte{enc, k.MarshalUnencrypted(), k.Public().MarshalPEM()} {
		for n := 0; n < len(file)-1; n++ {
			in := file[:n]
			if _, err := ParsePrivateKey(in, noPass(t)); err == nil {
				t.Fatalf("ParsePrivateKey accepted %d of %d bytes", n, len(file))
			}
			if _, err := ParsePublicKey(in); err == nil {
				t.Fatalf("ParsePublicKey accepted %d of %d bytes", n, len(file))
			}
			if _, err := ReadKeyInfo(in); err == nil {
				t.Fatalf("ReadKeyInfo accepted %d of %d bytes", n, len(file))
			}
		}
	}
}

// TestKDFCaps: parameters above the caps are refused with ErrKDFTooExpensive
// before any work and before the passphrase is asked for.
func TestKDFCaps(t *testing.T) {
	k := testKey(t, "acme")
	data, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, params string }{
		{"memory one KiB over", "t=1,m=262145,p=1"},
		{"memory 4 GiB", "t=3,m=4194304,p=4"},
		{"memory at uint32 max", "t=1,m=4294967295,p=1"},
		{"memory beyond uint32", "t=1,m=99999999999999,p=1"},
		{"time one over", "t=11,m=64,p=1"},
		{"time a million", "t=1000000,m=65536,p=4"},
		{"time beyond uint32", "t=4294967296,m=64,p=1"},
		{"threads one over", "t=1,m=1024,p=17"},
		{"threads 255", "t=1,m=4096,p=255"},
		{"threads beyond uint8", "t=1,m=4096,p=256"},
		{"everything", "t=4294967295,m=4294967295,p=255"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := setHeader(t, data, "KDF-Params", tc.params)
			start := time.Now()
			_, err := ParsePrivateKey(file, noPass(t))
			elapsed := time.Since(start)
			if !errors.Is(err, ErrKDFTooExpensive) {
				t.Fatalf("err = %v, want ErrKDFTooExpensive", err)
			}
			if elapsed > 500*time.Millisecond {
				t.Errorf("refusing took %v: work was done", elapsed)
			}
			if _, err := ReadKeyInfo(file); !errors.Is(err, ErrKDFTooExpensive) {
				t.Errorf("ReadKeyInfo: err = %v, want ErrKDFTooExpensive", err)
			}
		})
	}

	// At the caps, the parameters are accepted (not run here: 256 MiB).
	if err := checkKDF(MaxKDFTime, MaxKDFMemoryKiB, MaxKDFThreads); err != nil {
		t.Errorf("parameters at the caps refused: %v", err)
	}
	if MaxKDFTime != 10 || MaxKDFMemoryKiB != 256*1024 || MaxKDFThreads != 16 {
		t.Errorf("caps = %d, %d, %d", MaxKDFTime, MaxKDFMemoryKiB, MaxKDFThreads)
	}
	// MarshalEncrypted refuses to write what ParsePrivateKey would refuse.
	for _, kdf := range []KDFParams{
		{Time: 11, MemoryKiB: 64, Threads: 1},
		{Time: 1, MemoryKiB: MaxKDFMemoryKiB + 1, Threads: 1},
		{Time: 1, MemoryKiB: 1024, Threads: 17},
	} {
		if _, err := k.MarshalEncrypted([]byte("pw"), kdf); !errors.Is(err, ErrKDFTooExpensive) {
			t.Errorf("MarshalEncrypted(%v): err = %v, want ErrKDFTooExpensive", kdf, err)
		}
	}
}

func TestMarshalEncryptedRefuses(t *testing.T) {
	k := testKey(t, "acme")
	for _, tc := range []struct {
		name    string
		k       *PrivateKey
		pass    string
		kdf     KDFParams
		wantErr string
	}{
		{"empty passphrase", k, "", FastKDF(), "passphrase is empty"},
		{"zero passes", k, "pw", KDFParams{Time: 0, MemoryKiB: 64, Threads: 1}, "at least 1"},
		{"zero threads", k, "pw", KDFParams{Time: 1, MemoryKiB: 64, Threads: 0}, "at least 1"},
		{"too little memory", k, "pw", KDFParams{Time: 1, MemoryKiB: 7, Threads: 1}, "8 KiB per thread"},
		{"invalid issuer", &PrivateKey{Issuer: "a b", Key: k.Key}, "pw", FastKDF(), "issuer id"},
		{"short key", &PrivateKey{Issuer: "acme", Key: k.Key[:32]}, "pw", FastKDF(), "32 bytes, want 64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.k.MarshalEncrypted([]byte(tc.pass), tc.kdf)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestPassphraseCallback(t *testing.T) {
	k := testKey(t, "acme")
	data, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	errCancelled := errors.New("prompt cancelled")
	if _, err := ParsePrivateKey(data, func() ([]byte, error) { return nil, errCancelled }); err != errCancelled {
		t.Errorf("err = %v, want the callback's error as is", err)
	}
	if _, err := ParsePrivateKey(data, nil); err == nil || !strings.Contains(err.Error(), "encrypted and no passphrase") {
		t.Errorf("nil callback: err = %v", err)
	}
}

func TestUnencrypted(t *testing.T) {
	k := testKey(t, "ci-test")
	data := k.MarshalUnencrypted()
	want := "-----BEGIN LICET PRIVATE KEY-----\n" +
		"Warning: UNENCRYPTED - sandbox and CI use only\n" +
		"Issuer: ci-test\n" +
		"Key-ID: " + hex.EncodeToString(k.KeyID()) + "\n" +
		"Public-Key: " + base64.StdEncoding.EncodeToString(k.Public().Key) + "\n" +
		"\n" +
		base64.StdEncoding.EncodeToString(k.Key.Seed()) + "\n" +
		"-----END LICET PRIVATE KEY-----\n"
	if string(data) != want {
		t.Fatalf("MarshalUnencrypted =\n%s\nwant\n%s", data, want)
	}
	if IsEncrypted(data) {
		t.Error("IsEncrypted = true")
	}
	back, err := ParsePrivateKey(data, noPass(t))
	if err != nil {
		t.Fatal(err)
	}
	if !back.Key.Equal(k.Key) || back.Issuer != "ci-test" {
		t.Errorf("ParsePrivateKey = %+v", back)
	}
	info, err := ReadKeyInfo(data)
	if err != nil || !info.Private || info.Encrypted || info.Public.Issuer != "ci-test" || !info.Public.Key.Equal(k.Public().Key) {
		t.Errorf("ReadKeyInfo = %+v, %v", info, err)
	}

	other := testKey(t, "other")
	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{"no warning", strings.Replace(string(data), "Warning: UNENCRYPTED - sandbox and CI use only\n", "", 1), `missing PEM header "Warning"`},
		{"warning edited", string(setHeader(t, data, "Warning", "none")), "Warning header"},
		{"seed of another key", string(setBody(data, other.Key.Seed())), "does not match the Public-Key header"},
		{"short seed", string(setBody(data, k.Key.Seed()[:31])), "want a 32-byte seed"},
		{"encrypted-file headers", strings.Replace(string(data), "Public-Key:", "Salt: AAAA\nPublic-Key:", 1), `unknown PEM header "Salt"`},
		{"public key of another key, kid matching", string(setHeader(t, setHeader(t, data, "Public-Key", base64.StdEncoding.EncodeToString(other.Public().Key)), "Key-ID", hex.EncodeToString(other.KeyID()))), "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePrivateKey([]byte(tc.in), noPass(t))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if _, err := ReadKeyInfo([]byte(tc.in)); err == nil {
				t.Error("ReadKeyInfo accepted it")
			}
		})
	}
}

func TestMarshalUnencryptedPanicsOnInvalidKey(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "issuer") {
			t.Errorf("recover() = %v, want a panic about the issuer", r)
		}
	}()
	(&PrivateKey{Issuer: "", Key: testKey(t, "x").Key}).MarshalUnencrypted()
}

func TestPublicKeyWherePrivateBelongs(t *testing.T) {
	k := testKey(t, "acme")
	_, err := ParsePrivateKey(k.Public().MarshalPEM(), noPass(t))
	if !errors.Is(err, ErrNotPrivateKey) {
		t.Fatalf("err = %v, want ErrNotPrivateKey", err)
	}
	if !strings.Contains(err.Error(), "public key file") || !strings.Contains(err.Error(), "private key file") {
		t.Errorf("message %q does not say what happened", err)
	}
	_, err = ParsePublicKey(k.MarshalUnencrypted())
	if !errors.Is(err, ErrNotPublicKey) || !strings.Contains(err.Error(), "private key file") {
		t.Errorf("err = %v, want ErrNotPublicKey", err)
	}
	_, err = ParsePrivateKey([]byte("-----BEGIN LICET LICENSE-----\nAAAA\n-----END LICET LICENSE-----\n"), noPass(t))
	if err == nil || !strings.Contains(err.Error(), `"LICET LICENSE", not a licet key`) {
		t.Errorf("license where a key belongs: err = %v", err)
	}
}

func TestReadKeyInfoPublic(t *testing.T) {
	p := testKey(t, "acme").Public()
	info, err := ReadKeyInfo(p.MarshalPEM())
	if err != nil {
		t.Fatal(err)
	}
	if info.Private || info.Encrypted || info.Public.Issuer != "acme" || !info.Public.Key.Equal(p.Key) {
		t.Errorf("ReadKeyInfo = %+v", info)
	}
	if IsEncrypted(p.MarshalPEM()) || IsEncrypted(nil) || IsEncrypted([]byte("garbage")) {
		t.Error("IsEncrypted true for a file that is not an encrypted key")
	}
}

// TestSignWithParsedKey: a parsed key signs like the original.
func TestSignWithParsedKey(t *testing.T) {
	k := testKey(t, "acme")
	data, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	back, err := ParsePrivateKey(data, pass("pw", &calls))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("message")
	sig, err := back.Signer().Sign(nil, msg, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(k.Public().Key, msg, sig) {
		t.Error("signature of the parsed key does not verify under the original public key")
	}
}
