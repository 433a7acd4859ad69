package token_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/licet/licet/token"
)

// TestSignEd25519MatchesStd: minting's Ed25519 signatures are those of
// crypto/ed25519, byte for byte, for many keys and message lengths.
func TestSignEd25519MatchesStd(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seed := make([]byte, ed25519.SeedSize)
	for i := range 300 {
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		priv := ed25519.NewKeyFromSeed(seed)
		msg := make([]byte, rng.IntN(600))
		for j := range msg {
			msg[j] = byte(rng.Uint32())
		}
		got, want := token.SignEd25519(priv, msg), ed25519.Sign(priv, msg)
		if !bytes.Equal(got, want) {
			t.Fatalf("case %d: seed %x, msg %x:\n got %x\nwant %x", i, seed, msg, got, want)
		}
	}
}

// TestSignEd25519RFC8032 is RFC 8032's test vectors 1 to 3 (section 7.1).
func TestSignEd25519RFC8032(t *testing.T) {
	for _, tc := range []struct{ seed, msg, sig string }{
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "72",
			"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
		{"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "af82",
			"6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
	} {
		seed, _ := hex.DecodeString(tc.seed)
		msg, _ := hex.DecodeString(tc.msg)
		if got := hex.EncodeToString(token.SignEd25519(ed25519.NewKeyFromSeed(seed), msg)); got != tc.sig {
			t.Errorf("seed %s: got %s, want %s", tc.seed, got, tc.sig)
		}
	}
}
