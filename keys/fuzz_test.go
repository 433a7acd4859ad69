package keys

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzKeyFile: no key file makes a parser panic, the parsers agree with
// ReadKeyInfo, and what parses marshals back to the same key.
func FuzzKeyFile(f *testing.F) {
	k := Sandbox()
	enc, err := k.marshalEncrypted(newTestRand("fuzz"), []byte("pw"), FastKDF())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc)
	f.Add(k.MarshalUnencrypted())
	f.Add(k.Public().MarshalPEM())
	f.Add((&PublicKey{Key: k.Public().Key}).MarshalPEM())
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nIssuer: x\n\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("# kid: 00\n-----BEGIN X-----\n-----END X-----"))
	f.Fuzz(func(t *testing.T, data []byte) {
		errNoPass := errors.New("no passphrase in fuzzing")
		info, infoErr := ReadKeyInfo(data)
		priv, privErr := ParsePrivateKey(data, func() ([]byte, error) { return nil, errNoPass })
		pub, pubErr := ParsePublicKey(data)
		if infoErr == nil && IsEncrypted(data) != info.Encrypted {
			t.Fatalf("IsEncrypted disagrees with ReadKeyInfo %+v", info)
		}
		if infoErr != nil {
			if privErr == nil || pubErr == nil {
				t.Fatalf("ReadKeyInfo refused (%v) what a parser accepted", infoErr)
			}
			return
		}
		switch {
		case !info.Private:
			if pubErr != nil || !pub.Key.Equal(info.Public.Key) || pub.Issuer != info.Public.Issuer {
				t.Fatalf("public file: ParsePublicKey = %v, %v; ReadKeyInfo = %+v", pub, pubErr, info.Public)
			}
			back, err := ParsePublicKey(pub.MarshalPEM())
			if err != nil || !back.Key.Equal(pub.Key) || back.Issuer != pub.Issuer {
				t.Fatalf("MarshalPEM does not parse back: %v", err)
			}
		case info.Encrypted:
			if privErr != errNoPass {
				t.Fatalf("encrypted file: ParsePrivateKey = %v, want the passphrase callback's error", privErr)
			}
		default:
			if privErr != nil || !bytes.Equal(priv.Public().Key, info.Public.Key) || priv.Issuer != info.Public.Issuer {
				t.Fatalf("unencrypted file: ParsePrivateKey = %v; ReadKeyInfo = %+v", privErr, info.Public)
			}
			back, err := ParsePrivateKey(priv.MarshalUnencrypted(), nil)
			if err != nil || !back.Key.Equal(priv.Key) {
				t.Fatalf("MarshalUnencrypted does not parse back: %v", err)
			}
		}
		if info.Private && pubErr == nil {
			t.Fatal("ParsePublicKey accepted a private key file")
		}
	})
}

// FuzzTrustStore: no keyring makes the parser panic, and what parses
// marshals and parses back to the same bytes.
func FuzzTrustStore(f *testing.F) {
	s := &TrustStore{}
	_ = s.Add(TrustedKey{Issuer: SandboxIssuer, Key: Sandbox().Public().Key, NotBefore: t2026, Note: "n"})
	data, err := s.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"licet_keyring": 1, "keys": []}`))
	f.Add([]byte(`{"licet_keyring": 1, "keys": [{"issuer": "a", "issuer": "b"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseTrustStore(data)
		if err != nil {
			return
		}
		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed keyring: %v", err)
		}
		s2, err := ParseTrustStore(out)
		if err != nil {
			t.Fatalf("a marshalled keyring does not parse: %v\n%s", err, out)
		}
		out2, err := s2.Marshal()
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable:\n%s\n%s", out, out2)
		}
		if _, err := s.KeySet(); err != nil {
			t.Fatalf("KeySet of a parsed keyring: %v", err)
		}
	})
}
