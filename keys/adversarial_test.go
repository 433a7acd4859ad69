package keys_test

// The key-file class of the adversarial suite, black box: hostile private
// and public key files (truncated, tampered ciphertext and headers, wrong
// passphrases, KDF parameters above the caps, the wrong kind of key), each
// asserting its exact error, that the passphrase is asked for only when a
// decryption is attempted, and that nothing panics. The KDF caps are shown
// to fail fast by what refusing allocates (no argon2id memory), checked
// against a control file that does run the KDF, and by a time ratio against
// that control, both measured in the same test.

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/verify"
)

// advKey returns a deterministic key for issuer.
func advKey(t testing.TB, issuer string) *keys.PrivateKey {
	t.Helper()
	seed := sha256.Sum256([]byte("adversarial " + issuer))
	k, err := keys.Generate(bytes.NewReader(seed[:]), issuer)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// advEncrypted returns k encrypted under pw with kdf.
func advEncrypted(t testing.TB, k *keys.PrivateKey, pw string, kdf keys.KDFParams) []byte {
	t.Helper()
	data, err := k.MarshalEncrypted([]byte(pw), kdf)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// advHeader returns the value of a PEM header line of a key file.
func advHeader(t testing.TB, file []byte, name string) string {
	t.Helper()
	for _, l := range strings.Split(string(file), "\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	t.Fatalf("no header %s", name)
	return ""
}

// advSetHeader returns file with the value of a header line replaced.
func advSetHeader(t testing.TB, file []byte, name, value string) []byte {
	t.Helper()
	old := name + ": " + advHeader(t, file, name) + "\n"
	return []byte(strings.Replace(string(file), old, name+": "+value+"\n", 1))
}

// advBody returns the decoded data of a key file's PEM block.
func advBody(t testing.TB, file []byte) []byte {
	t.Helper()
	s := string(file)
	start := strings.Index(s, "\n\n") + 2
	end := strings.Index(s, "-----END")
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s[start:end], "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// advSetBody returns file with its PEM data replaced by body.
func advSetBody(file, body []byte) []byte {
	s := string(file)
	start := strings.Index(s, "\n\n") + 2
	end := strings.Index(s, "-----END")
	return []byte(s[:start] + base64.StdEncoding.EncodeToString(body) + "\n" + s[end:])
}

// advFlip returns b with one bit of byte i flipped.
func advFlip(b []byte, i int) []byte {
	out := append([]byte{}, b...)
	out[i] ^= 1
	return out
}

// advPass is a passphrase callback returning pw and counting its calls.
func advPass(pw string, calls *int) func() ([]byte, error) {
	return func() ([]byte, error) {
		*calls++
		return []byte(pw), nil
	}
}

// advEmpty, as advKeyCase.pw, stands for the empty passphrase.
const advEmpty = "<empty>"

// advKeyCase is one hostile key file and what parsing it must give.
type advKeyCase struct {
	name string
	data []byte
	// public parses with ParsePublicKey instead of ParsePrivateKey.
	public bool
	// pw is the passphrase the callback returns ("pw" when empty).
	pw string
	// want is the sentinel the error must match (errors.Is), or nil when
	// wantMsg alone describes the error.
	want error
	// wantMsg must appear in the error.
	wantMsg string
	// asks is true when the file parses and decryption is attempted: the
	// passphrase is asked for exactly once. Otherwise it is never asked for.
	asks bool
}

func advKeyCases(t *testing.T) []advKeyCase {
	const pw = "correct horse battery staple"
	acme := advKey(t, "acme")
	attacker := advKey(t, "attacker")
	enc := advEncrypted(t, acme, pw, keys.FastKDF())
	encAgain := advEncrypted(t, acme, pw, keys.FastKDF()) // same key, fresh salt and nonce
	encAttacker := advEncrypted(t, attacker, pw, keys.FastKDF())
	plain := acme.MarshalUnencrypted()
	pubFile := acme.Public().MarshalPEM()
	der, err := x509.MarshalPKIXPublicKey(acme.Public().Key)
	if err != nil {
		t.Fatal(err)
	}
	opensslPub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pkcs8, err := x509.MarshalPKCS8PrivateKey(acme.Key)
	if err != nil {
		t.Fatal(err)
	}
	opensslPriv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	ct := advBody(t, enc)
	s := string(enc)
	b64 := base64.StdEncoding.EncodeToString
	salt, err := base64.StdEncoding.DecodeString(advHeader(t, enc, "Salt"))
	if err != nil {
		t.Fatal(err)
	}
	withPW := func(c advKeyCase) advKeyCase {
		switch c.pw {
		case "":
			c.pw = pw
		case advEmpty:
			c.pw = ""
		}
		return c
	}
	cases := []advKeyCase{
		{name: "baseline/encrypted file decrypts", data: enc, asks: true},
		{name: "baseline/CRLF line ends decrypt", data: bytes.ReplaceAll(enc, []byte("\n"), []byte("\r\n")), asks: true},

		// Truncated, in the middle rather than at the end.
		{name: "truncated/empty file", data: nil, wantMsg: "no PEM block"},
		{name: "truncated/BEGIN line only", data: []byte("-----BEGIN LICET ENCRYPTED PRIVATE KEY-----\n"), wantMsg: "truncated"},
		{name: "truncated/data removed", data: []byte(s[:strings.Index(s, "\n\n")+2] + s[strings.Index(s, "-----END"):]), wantMsg: "no data"},
		{name: "truncated/ciphertext one byte short", data: advSetBody(enc, ct[:len(ct)-1]), wantMsg: "truncated or corrupt"},
		{name: "truncated/tag removed", data: advSetBody(enc, ct[:32]), wantMsg: "truncated or corrupt"},
		{name: "truncated/headers cut at the salt", data: []byte(s[:strings.Index(s, "Salt:")] + s[strings.Index(s, "\n\n"):]), wantMsg: "missing PEM header"},
		{name: "truncated/END line cut", data: enc[:len(enc)-8], wantMsg: "want -----END"},

		// Tampered ciphertext: the right passphrase no longer opens it.
		{name: "ciphertext/first byte flipped", data: advSetBody(enc, advFlip(ct, 0)), want: keys.ErrWrongPassphrase, asks: true},
		{name: "ciphertext/last seed byte flipped", data: advSetBody(enc, advFlip(ct, 31)), want: keys.ErrWrongPassphrase, asks: true},
		{name: "ciphertext/tag zeroed", data: advSetBody(enc, append(append([]byte{}, ct[:32]...), make([]byte, 16)...)), want: keys.ErrWrongPassphrase, asks: true},
		{name: "ciphertext/seed in clear plus zero tag", data: advSetBody(enc, append(append([]byte{}, acme.Key.Seed()...), make([]byte, 16)...)), want: keys.ErrWrongPassphrase, asks: true},
		{name: "ciphertext/of the same key under other salt and nonce", data: advSetBody(enc, advBody(t, encAgain)), want: keys.ErrWrongPassphrase, asks: true},
		{name: "ciphertext/of the attacker's key, same passphrase", data: advSetBody(enc, advBody(t, encAttacker)), want: keys.ErrWrongPassphrase, asks: true},

		// Tampered headers: all of them are associated data.
		{name: "header/issuer renamed", data: advSetHeader(t, enc, "Issuer", "acme2"), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/issuer in upper case", data: advSetHeader(t, enc, "Issuer", "ACME"), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/attacker's headers on acme's ciphertext", data: advSetBody(encAttacker, ct), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/attacker's public key and kid", data: advSetHeader(t, advSetHeader(t, enc, "Public-Key", b64(attacker.Public().Key)), "Key-ID", hex.EncodeToString(attacker.KeyID())), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/salt bit flipped", data: advSetHeader(t, enc, "Salt", b64(advFlip(salt, 15))), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/salt of another file", data: advSetHeader(t, enc, "Salt", advHeader(t, encAgain, "Salt")), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/nonce of another file", data: advSetHeader(t, enc, "Nonce", advHeader(t, encAgain, "Nonce")), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/KDF weakened to 8 KiB", data: advSetHeader(t, enc, "KDF-Params", "t=1,m=8,p=1"), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/KDF strengthened within caps", data: advSetHeader(t, enc, "KDF-Params", "t=2,m=128,p=2"), want: keys.ErrWrongPassphrase, asks: true},
		{name: "header/KDF renamed argon2i", data: advSetHeader(t, enc, "KDF", "argon2i"), wantMsg: "unsupported KDF"},
		{name: "header/kid of the attacker, key kept", data: advSetHeader(t, enc, "Key-ID", hex.EncodeToString(attacker.KeyID())), wantMsg: "Key-ID header"},
		{name: "header/second issuer", data: []byte(strings.Replace(s, "Key-ID:", "Issuer: attacker\nKey-ID:", 1)), wantMsg: "duplicate PEM header"},
		{name: "header/smuggled Warning header", data: []byte(strings.Replace(s, "Issuer:", "Warning: none\nIssuer:", 1)), wantMsg: "unknown PEM header"},
		{name: "header/block relabelled unencrypted", data: []byte(strings.ReplaceAll(s, "LICET ENCRYPTED PRIVATE KEY", "LICET PRIVATE KEY")), wantMsg: "unknown PEM header"},
		{name: "header/unencrypted relabelled encrypted", data: []byte(strings.ReplaceAll(string(plain), "LICET PRIVATE KEY", "LICET ENCRYPTED PRIVATE KEY")), wantMsg: "unknown PEM header"},
		{name: "header/issuer comment names the attacker", data: append([]byte("# issuer: attacker\n"), enc...), wantMsg: "issuer comment"},
		{name: "header/kid comment names the attacker", data: append([]byte("# kid: "+hex.EncodeToString(attacker.KeyID())+"\n"), enc...), wantMsg: "kid comment"},

		// Wrong passphrases.
		{name: "passphrase/empty", data: enc, pw: advEmpty, want: keys.ErrWrongPassphrase, asks: true},
		{name: "passphrase/NUL", data: enc, pw: "\x00", want: keys.ErrWrongPassphrase, asks: true},
		{name: "passphrase/trailing newline", data: enc, pw: pw + "\n", want: keys.ErrWrongPassphrase, asks: true},
		{name: "passphrase/trailing NUL", data: enc, pw: pw + "\x00", want: keys.ErrWrongPassphrase, asks: true},
		{name: "passphrase/other case", data: enc, pw: strings.ToUpper(pw), want: keys.ErrWrongPassphrase, asks: true},
		{name: "passphrase/of the attacker's file", data: enc, pw: "attacker", want: keys.ErrWrongPassphrase, asks: true},

		// KDF parameters above the caps: refused before the passphrase
		// is asked for (TestAdversarialKDFCapsFailFast shows no KDF runs).
		{name: "kdf/memory one KiB over the cap", data: advSetHeader(t, enc, "KDF-Params", "t=1,m=262145,p=1"), want: keys.ErrKDFTooExpensive},
		{name: "kdf/time one over the cap", data: advSetHeader(t, enc, "KDF-Params", "t=11,m=64,p=1"), want: keys.ErrKDFTooExpensive},
		{name: "kdf/threads one over the cap", data: advSetHeader(t, enc, "KDF-Params", "t=1,m=1024,p=17"), want: keys.ErrKDFTooExpensive},
		{name: "kdf/memory 2^32 KiB wraps to 0 in uint32", data: advSetHeader(t, enc, "KDF-Params", "t=1,m=4294967296,p=1"), want: keys.ErrKDFTooExpensive},
		{name: "kdf/threads 256 wraps to 0 in uint8", data: advSetHeader(t, enc, "KDF-Params", "t=1,m=4096,p=256"), want: keys.ErrKDFTooExpensive},
		{name: "kdf/time 2^64 does not parse", data: advSetHeader(t, enc, "KDF-Params", "t=18446744073709551616,m=64,p=1"), wantMsg: "malformed KDF-Params"},

		// The wrong kind of key.
		{name: "kind/licet public key where private belongs", data: pubFile, want: keys.ErrNotPrivateKey},
		{name: "kind/openssl public key where private belongs", data: opensslPub, want: keys.ErrNotPrivateKey},
		{name: "kind/openssl PKCS#8 private key", data: opensslPriv, wantMsg: "format licet does not read"},
		{name: "kind/encrypted private key where public belongs", data: enc, public: true, want: keys.ErrNotPublicKey},
		{name: "kind/unencrypted private key where public belongs", data: plain, public: true, want: keys.ErrNotPublicKey},
		{name: "kind/openssl private key where public belongs", data: opensslPriv, public: true, want: keys.ErrNotPublicKey},
		{name: "kind/public then private block", data: append(append([]byte{}, pubFile...), enc...), wantMsg: "more than one PEM block"},
		{name: "kind/private then public block", data: append(append([]byte{}, enc...), opensslPub...), public: true, wantMsg: "more than one PEM block"},
		{name: "kind/private then commented public block", data: append(append([]byte{}, enc...), pubFile...), public: true, wantMsg: "unexpected text after the PEM block"},
		{name: "kind/license where a key belongs", data: []byte("-----BEGIN LICET LICENSE-----\n0oRDoQEnoFA=\n-----END LICET LICENSE-----\n"), wantMsg: "not a licet key"},

		// Unencrypted files: no integrity, but the seed must match the
		// key the headers name.
		{name: "plain/baseline parses without a passphrase", data: plain},
		{name: "plain/seed of the attacker", data: advSetBody(plain, attacker.Key.Seed()), wantMsg: "does not match the Public-Key header"},
		{name: "plain/seed one byte short", data: advSetBody(plain, acme.Key.Seed()[:31]), wantMsg: "32-byte seed"},
		{name: "plain/warning removed", data: []byte(strings.Replace(string(plain), "Warning: UNENCRYPTED - sandbox and CI use only\n", "", 1)), wantMsg: "missing PEM header"},
		{name: "plain/warning reworded", data: []byte(strings.Replace(string(plain), "UNENCRYPTED - sandbox and CI use only", "encrypted", 1)), wantMsg: "Warning header"},

		// Size.
		{name: "size/1 MiB key file", data: append(bytes.Repeat([]byte("# padding\n"), 1<<20/10), enc...), wantMsg: "more than the limit"},
	}
	for i := range cases {
		cases[i] = withPW(cases[i])
	}
	return cases
}

// TestAdversarialKeyFiles parses every hostile key file and checks the
// exact error, the passphrase calls, and that ReadKeyInfo and IsEncrypted
// refuse or describe it consistently.
func TestAdversarialKeyFiles(t *testing.T) {
	cases := advKeyCases(t)
	rejected := 0
	for _, tc := range cases {
		if tc.want != nil || tc.wantMsg != "" {
			rejected++
		}
	}
	if rejected < 40 {
		t.Errorf("only %d hostile key files: the suite shrank", rejected)
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			advNoPanic(t, tc.data)
			calls := 0
			var err error
			if tc.public {
				_, err = keys.ParsePublicKey(tc.data)
			} else {
				_, err = keys.ParsePrivateKey(tc.data, advPass(tc.pw, &calls))
			}
			switch {
			case tc.want == nil && tc.wantMsg == "":
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
			case err == nil:
				t.Fatalf("accepted; want %v %q", tc.want, tc.wantMsg)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Fatalf("err = %v, want %v", err, tc.want)
			case !strings.Contains(err.Error(), tc.wantMsg):
				t.Fatalf("err = %v, want one containing %q", err, tc.wantMsg)
			case !strings.HasPrefix(err.Error(), "keys: "):
				t.Errorf("err = %q, want the keys: prefix", err)
			}
			if tc.want == nil && err != nil && errors.Is(err, keys.ErrWrongPassphrase) {
				t.Errorf("a parse error reported as a wrong passphrase: %v", err)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.asks]; calls != want {
				t.Errorf("passphrase asked for %d times, want %d", calls, want)
			}
			// ReadKeyInfo needs no passphrase: it refuses what fails
			// before decryption.
			info, ierr := keys.ReadKeyInfo(tc.data)
			parseErr := err != nil && !tc.asks && !errors.Is(err, keys.ErrNotPrivateKey) && !errors.Is(err, keys.ErrNotPublicKey)
			if parseErr && ierr == nil {
				t.Errorf("ReadKeyInfo accepted a file that does not parse: %+v", info)
			}
			if tc.want == keys.ErrKDFTooExpensive && !errors.Is(ierr, keys.ErrKDFTooExpensive) {
				t.Errorf("ReadKeyInfo: err = %v, want ErrKDFTooExpensive", ierr)
			}
		})
	}
}

// advNoPanic runs every key file parser on data and fails on a panic.
func advNoPanic(t *testing.T, data []byte) {
	t.Helper()
	for name, f := range map[string]func(){
		"ParsePrivateKey":    func() { _, _ = keys.ParsePrivateKey(data, func() ([]byte, error) { return []byte("pw"), nil }) },
		"ParsePublicKey":     func() { _, _ = keys.ParsePublicKey(data) },
		"ReadKeyInfo":        func() { _, _ = keys.ReadKeyInfo(data) },
		"IsEncrypted":        func() { _ = keys.IsEncrypted(data) },
		"ParseTrustStore":    func() { _, _ = keys.ParseTrustStore(data) },
		"ParsePublicKeyPEM":  func() { _, _ = verify.ParsePublicKeyPEM(data) },
		"ParsePrivateKeyNil": func() { _, _ = keys.ParsePrivateKey(data, nil) },
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s panicked: %v\nfile:\n%q", name, r, data)
				}
			}()
			f()
		}()
	}
}

// TestAdversarialKeyBitFlips: flipping any single bit of an encrypted key
// file either fails or yields exactly the original key and issuer (a flip
// in ignored white space); never another key or issuer, never a panic.
func TestAdversarialKeyBitFlips(t *testing.T) {
	const pw = "pw"
	acme := advKey(t, "acme")
	enc := advEncrypted(t, acme, pw, keys.FastKDF())
	same := 0
	for i := 0; i < len(enc)*8; i++ {
		data := append([]byte{}, enc...)
		data[i/8] ^= 1 << (i % 8)
		advNoPanic(t, data)
		calls := 0
		k, err := keys.ParsePrivateKey(data, advPass(pw, &calls))
		if calls > 1 {
			t.Fatalf("bit %d: passphrase asked for %d times", i, calls)
		}
		if err != nil {
			continue
		}
		if !k.Key.Equal(acme.Key) || k.Issuer != acme.Issuer {
			t.Fatalf("bit %d flipped: parsed as key %x issuer %q, want the original or an error", i, k.KeyID(), k.Issuer)
		}
		same++
	}
	t.Logf("%d of %d single-bit flips parse as the original key", same, len(enc)*8)
}

// TestAdversarialKDFCapsFailFast: a file whose KDF parameters are above the
// caps is refused before any key derivation. Shown without a wall-clock
// bound: argon2id allocates its memory parameter, so refusing must allocate
// far less than a control file of 4 MiB does when it is decrypted (and the
// control shows that the measurement sees a KDF); the time ratio against
// the control, measured alike, confirms it.
func TestAdversarialKDFCapsFailFast(t *testing.T) {
	const pw = "pw"
	acme := advKey(t, "acme")
	control := advEncrypted(t, acme, pw, keys.KDFParams{Time: 1, MemoryKiB: 4096, Threads: 1})
	parse := func(data []byte) func() error {
		return func() error {
			calls := 0
			_, err := keys.ParsePrivateKey(data, advPass(pw, &calls))
			if calls != 0 && errors.Is(err, keys.ErrKDFTooExpensive) {
				t.Errorf("passphrase asked for before refusing the KDF parameters")
			}
			return err
		}
	}
	measure := func(f func() error, runs int) (bytesPer float64, best time.Duration) {
		if err := f(); err != nil && !errors.Is(err, keys.ErrKDFTooExpensive) {
			t.Fatalf("unexpected error: %v", err)
		}
		best = time.Duration(1<<63 - 1)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < runs; i++ {
			start := time.Now()
			_ = f()
			best = min(best, time.Since(start))
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / float64(runs), best
	}
	controlBytes, controlTime := measure(parse(control), 5)
	t.Logf("control (argon2id t=1, m=4 MiB): %.0f bytes, %v per parse", controlBytes, controlTime)
	if controlBytes < 4<<20 {
		t.Fatalf("the control allocates %.0f bytes: the measurement does not see the KDF", controlBytes)
	}
	for _, params := range []string{
		"t=1,m=262145,p=1",         // memory one KiB over the cap
		"t=10,m=4194304,p=16",      // 4 GiB
		"t=11,m=1024,p=1",          // time one over
		"t=4294967295,m=1024,p=1",  // time at uint32 max
		"t=1,m=1024,p=17",          // threads one over
		"t=3,m=4294967295,p=255",   // everything at its type's max
		"t=1,m=4294967296,p=1",     // memory that wraps to 0 in uint32
		"t=1,m=99999999999999,p=4", // memory beyond uint32
	} {
		t.Run(params, func(t *testing.T) {
			hostile := advSetHeader(t, control, "KDF-Params", params)
			if err := parse(hostile)(); !errors.Is(err, keys.ErrKDFTooExpensive) {
				t.Fatalf("err = %v, want ErrKDFTooExpensive", err)
			}
			hostileBytes, hostileTime := measure(parse(hostile), 50)
			t.Logf("refused: %.0f bytes, %v per parse", hostileBytes, hostileTime)
			if hostileBytes > controlBytes/64 {
				t.Errorf("refusing allocates %.0f bytes per parse, the control's KDF %.0f: a KDF ran", hostileBytes, controlBytes)
			}
			if hostileTime > controlTime/4 {
				t.Errorf("refusing takes %v, the control's KDF %v: a KDF ran", hostileTime, controlTime)
			}
		})
	}
}
