package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestMarshalPEM(t *testing.T) {
	p := testKey(t, "acme").Public()
	der, err := x509.MarshalPKIXPublicKey(p.Key)
	if err != nil {
		t.Fatal(err)
	}
	want := "# licet public key\n# issuer: acme\n# kid: " + hex.EncodeToString(p.KeyID()) + "\n" +
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	got := p.MarshalPEM()
	if string(got) != want {
		t.Fatalf("MarshalPEM =\n%s\nwant\n%s", got, want)
	}
	back, err := ParsePublicKey(got)
	if err != nil {
		t.Fatal(err)
	}
	if back.Issuer != "acme" || !back.Key.Equal(p.Key) {
		t.Errorf("ParsePublicKey(MarshalPEM) = %+v, want %+v", back, p)
	}

	// Without an issuer, there is no issuer line, and none comes back.
	anon := &PublicKey{Key: p.Key}
	out := anon.MarshalPEM()
	if strings.Contains(string(out), "issuer") {
		t.Errorf("MarshalPEM without issuer wrote an issuer line:\n%s", out)
	}
	if back, err := ParsePublicKey(out); err != nil || back.Issuer != "" || !back.Key.Equal(p.Key) {
		t.Errorf("ParsePublicKey = %+v, %v", back, err)
	}
}

func TestMarshalPEMPanicsOnInvalidKey(t *testing.T) {
	good := testKey(t, "acme").Public().Key
	for _, tc := range []struct {
		name string
		p    *PublicKey
	}{
		{"short key", &PublicKey{Issuer: "acme", Key: good[:31]}},
		{"issuer with a newline", &PublicKey{Issuer: "acme\n# kid: 00", Key: good}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("MarshalPEM did not panic")
				}
			}()
			tc.p.MarshalPEM()
		})
	}
}

// plainPEM is a PKIX public key PEM file, as openssl writes it.
func plainPEM(t *testing.T, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func TestParsePublicKey(t *testing.T) {
	k := testKey(t, "acme")
	pub := k.Public()
	kid := hex.EncodeToString(pub.KeyID())
	plain := plainPEM(t, pub.Key)
	ours := string(pub.MarshalPEM())

	for _, tc := range []struct {
		name, in   string
		wantIssuer string
	}{
		{"licet file", ours, "acme"},
		{"plain openssl file", plain, ""},
		{"CRLF line ends", strings.ReplaceAll(ours, "\n", "\r\n"), "acme"},
		{"blank lines and trailing white space", "\n\n" + strings.ReplaceAll(ours, "\n", "  \n") + "\n\n", "acme"},
		{"issuer comment added by hand", "# issuer: acme-eu\n" + plain, "acme-eu"},
		{"kid comment in upper case", "# KID: " + strings.ToUpper(kid) + "\n" + plain, ""},
		{"other comments", "# from the 2026 contract\n#\n" + ours, "acme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePublicKey([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if p.Issuer != tc.wantIssuer || !p.Key.Equal(pub.Key) {
				t.Errorf("ParsePublicKey = %q %x, want %q %x", p.Issuer, p.Key, tc.wantIssuer, pub.Key)
			}
		})
	}
}

func TestParsePublicKeyErrors(t *testing.T) {
	k := testKey(t, "acme")
	pub := k.Public()
	ours := string(pub.MarshalPEM())
	plain := plainPEM(t, pub.Key)
	enc, err := k.MarshalEncrypted([]byte("pw"), FastKDF())
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), newTestRand("ecdsa"))
	if err != nil {
		t.Fatal(err)
	}
	identityDER, _ := hex.DecodeString("302a300506032b6570032100" + "0100000000000000000000000000000000000000000000000000000000000000")
	pkcs8 := "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
	body := plain[len("-----BEGIN PUBLIC KEY-----\n") : len(plain)-len("-----END PUBLIC KEY-----\n")]

	for _, tc := range []struct {
		name, in string
		wantIs   error
		wantErr  string
	}{
		{"empty", "", nil, "no PEM block"},
		{"not PEM", "licet1.AAAA", nil, "no PEM block"},
		{"BEGIN only in a comment", "# -----BEGIN PUBLIC KEY-----\n", nil, "no PEM block"},
		{"encrypted private key", string(enc), ErrNotPublicKey, ""},
		{"unencrypted private key", string(k.MarshalUnencrypted()), ErrNotPublicKey, ""},
		{"PKCS#8 private key", pkcs8, ErrNotPublicKey, ""},
		{"a license", "-----BEGIN LICET LICENSE-----\nAAAA\n-----END LICET LICENSE-----\n", nil, `"LICET LICENSE", not a public key`},
		{"ECDSA key", plainPEM(t, &ec.PublicKey), nil, "is ECDSA, want Ed25519"},
		{"small-order key", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: identityDER})), nil, "small order"},
		{"PEM headers in the block", "-----BEGIN PUBLIC KEY-----\nIssuer: acme\n\n" + body + "-----END PUBLIC KEY-----\n", nil, "has PEM headers"},
		{"text before the block", "acme key\n" + plain, nil, "line 1: unexpected text before"},
		{"text after the block", plain + "ED25519 Public-Key:\n", nil, "unexpected text after"},
		{"two blocks", ours + plain, nil, "more than one PEM block"},
		{"truncated: no END line", ours[:len(ours)-len("-----END PUBLIC KEY-----\n")], nil, "truncated key file: no -----END PUBLIC KEY----- line"},
		{"truncated base64", strings.Replace(plain, body, body[:22]+"\n", 1), nil, "corrupt or truncated"},
		{"garbled base64", strings.Replace(plain, body, "!!!!"+body[4:], 1), nil, "corrupt or truncated"},
		{"empty block", "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", nil, "holds no data"},
		{"END of another type", "-----BEGIN PUBLIC KEY-----\n" + body + "-----END PRIVATE KEY-----\n", nil, "want -----END PUBLIC KEY-----"},
		{"malformed BEGIN line", "-----BEGIN PUBLIC KEY\n" + body, nil, "malformed PEM BEGIN line"},
		{"DER inside is not a key", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", nil, "parsing the public key"},
		{"kid comment does not match", "# kid: 0011223344556677\n" + plain, nil, "kid comment"},
		{"issuer comment invalid", "# issuer: acme corp\n" + plain, nil, "not a valid issuer id"},
		{"two issuer comments", "# issuer: a\n# issuer: b\n" + plain, nil, "two \"issuer\" comment lines"},
		{"oversize", strings.Repeat("#\n", MaxKeyFileSize/2+1) + plain, nil, "more than the limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePublicKey([]byte(tc.in))
			if err == nil {
				t.Fatalf("ParsePublicKey = %+v, want an error", p)
			}
			if !strings.HasPrefix(err.Error(), "keys: ") {
				t.Errorf("error %q lacks the keys: prefix", err)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want %v", err, tc.wantIs)
			}
			if tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tc.wantErr)
			}
			// ReadKeyInfo refuses the same malformed files.
			if tc.wantIs == nil {
				if info, err := ReadKeyInfo([]byte(tc.in)); err == nil {
					t.Errorf("ReadKeyInfo accepted it: %+v", info)
				}
			}
		})
	}
}

func ExamplePublicKey_MarshalPEM() {
	p := Sandbox().Public()
	fmt.Printf("%s", p.MarshalPEM())
	// Output:
	// # licet public key
	// # issuer: licet-sandbox
	// # kid: 5e1d73ccd21590e0
	// -----BEGIN PUBLIC KEY-----
	// MCowBQYDK2VwAyEAqMeStAzvGcpRSb1kj3VbCET1T43cpzEtxGrA27pKSpg=
	// -----END PUBLIC KEY-----
}
