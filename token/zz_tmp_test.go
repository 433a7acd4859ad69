package token_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/licet/licet/token"
)

func BenchmarkTmpParts(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	l := benchLicense()
	tok, _ := token.SignLicense(priv, l, nil)
	m, _ := token.ParseMessage(tok)
	msg := m.AppendToBeSigned(nil)
	b.Run("validate", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			l.Validate()
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			l.MarshalClaims()
		}
	})
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			token.EncodeText(tok, "")
		}
	})
	b.Run("sign", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			token.SignLicense(priv, l, nil)
		}
	})
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ed25519.Sign(priv, msg)
		}
	})
}
