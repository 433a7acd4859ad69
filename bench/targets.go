package bench

import (
	"crypto/ed25519"
	"fmt"

	"github.com/licet/licet/internal/ratio"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// Target is one speed target of issue 20 for licet itself, measured as
// the median of per-iteration ratios to raw Ed25519 (operation and
// baseline alternating, which runs first alternating too).
type Target struct {
	// Name says what is timed.
	Name string `json:"name"`
	// Max is the target: the ratio must not exceed it.
	Max float64 `json:"max"`
	// Ratio is the median per-iteration ratio; Spread its 25th and 75th
	// percentiles.
	Ratio  float64    `json:"x_ed25519"`
	Spread [2]float64 `json:"x_ed25519_p25_p75"`
	// Met reports Ratio <= Max.
	Met bool `json:"met"`
}

// Targets measures, in n iterations each, licet's targets of issue 20
// that a Go benchmark can time (the CLI process and the JavaScript
// verifier are measured by bench/cli.sh and js/scripts/bench.mjs):
//
//   - cold: a new key set, a new verifier and the first verification of a
//     license in the text form, against one ed25519.Verify (at most 1.05);
//   - second: the second verification by a fresh key set and verifier,
//     against one ed25519.Verify (at most 1.0: no use slower than raw);
//   - warm: a verification by a verifier whose key is hot, against one
//     ed25519.Verify (at most 0.55);
//   - mint raw and mint text: token.SignLicense, and for text
//     token.EncodeText of its result, against one ed25519.Sign (at most
//     1.05).
func (f *Fixture) Targets(n int) ([]Target, error) {
	if n <= 0 {
		return nil, fmt.Errorf("bench: %d iterations: want at least 1", n)
	}
	raw, err := token.SignLicense(f.Priv, f.License, nil)
	if err != nil {
		return nil, err
	}
	text, err := token.EncodeText(raw, "")
	if err != nil {
		return nil, err
	}
	m, err := token.ParseMessage(raw)
	if err != nil {
		return nil, err
	}
	msg, sig := m.AppendToBeSigned(nil), m.Signature
	var failed error
	check := func(err error) {
		if err != nil && failed == nil {
			failed = err
		}
	}
	rawVerify := func() {
		if !ed25519.Verify(f.Pub, msg, sig) && failed == nil {
			failed = fmt.Errorf("bench: raw ed25519.Verify failed")
		}
	}
	rawSign := func() { ed25519.Sign(f.Priv, msg) }
	verifyText := func(v *verify.Verifier) { _, err := v.Verify([]byte(text)); check(err) }
	fresh := func() *verify.Verifier { v, err := f.verifier(); check(err); return v }

	var cold, second, warm, mintRaw, mintText ratio.Series
	hot := fresh()
	for range 64 {
		verifyText(hot)
	}
	for range n {
		cold.Pair(func() { verifyText(fresh()) }, rawVerify)
		v := fresh()
		verifyText(v)
		second.Pair(func() { verifyText(v) }, rawVerify)
		warm.Pair(func() { verifyText(hot) }, rawVerify)
		mintRaw.Pair(func() { _, err := token.SignLicense(f.Priv, f.License, nil); check(err) }, rawSign)
		mintText.Pair(func() {
			raw, err := token.SignLicense(f.Priv, f.License, nil)
			check(err)
			_, err = token.EncodeText(raw, "")
			check(err)
		}, rawSign)
		if failed != nil {
			return nil, failed
		}
	}
	target := func(name string, max float64, s *ratio.Series) Target {
		lo, hi := s.Spread()
		return Target{Name: name, Max: max, Ratio: s.Median(), Spread: [2]float64{lo, hi}, Met: s.Median() <= max}
	}
	return []Target{
		target("cold: new key set + verifier + first verify (text)", 1.05, &cold),
		target("second verify on a fresh key set (text)", 1.0, &second),
		target("warm verify (text)", 0.55, &warm),
		target("mint (raw form)", 1.05, &mintRaw),
		target("mint (text form)", 1.05, &mintText),
	}, nil
}
