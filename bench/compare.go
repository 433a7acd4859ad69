package bench

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/licet/licet/internal/ratio"
)

// Result is one scheme's cost relative to raw Ed25519, measured in one
// interleaved run.
type Result struct {
	Name string `json:"name"`
	// Size is the length of the scheme's token in bytes.
	Size int `json:"size"`
	// SignNs and VerifyNs are the mean times per operation.
	SignNs   float64 `json:"sign_ns"`
	VerifyNs float64 `json:"verify_ns"`
	// SignRatio and VerifyRatio are the medians, over the iterations, of
	// the scheme's time divided by that of raw ed25519.Sign and
	// ed25519.Verify in the same iteration.
	SignRatio   float64 `json:"sign_x_ed25519"`
	VerifyRatio float64 `json:"verify_x_ed25519"`
	// SignSpread and VerifySpread are the 25th and 75th percentiles of
	// the per-iteration ratios.
	SignSpread   [2]float64 `json:"sign_x_ed25519_p25_p75"`
	VerifySpread [2]float64 `json:"verify_x_ed25519_p25_p75"`
}

// Timer records the time of a scheme's operation and of its raw Ed25519
// baseline, alternated in every iteration, as per-iteration ratios.
type Timer struct {
	s ratio.Series
}

// Ratio returns the median of the per-iteration ratios of the operation
// time to the baseline time.
func (t *Timer) Ratio() float64 { return t.s.Median() }

// Spread returns the 25th and 75th percentiles of the per-iteration
// ratios.
func (t *Timer) Spread() [2]float64 {
	lo, hi := t.s.Spread()
	return [2]float64{lo, hi}
}

// MeanNs returns the mean time of one operation in nanoseconds.
func (t *Timer) MeanNs() float64 { return t.s.MeanOpNs() }

// Report writes the median ratio as the metric unit, and its quartiles
// as unit-p25 and unit-p75.
func (t *Timer) Report(r ratio.Reporter, unit string) { t.s.Report(r, unit) }

// Pair runs op and base once each, timing each, and records the ratio of
// their times. The order alternates from one call to the next: whichever
// runs second finds the Ed25519 tables warm in the cache.
func (t *Timer) Pair(op func() error, base func() bool) error {
	var err error
	ok := true
	t.s.Pair(func() { err = op() }, func() { ok = base() })
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("bench: raw Ed25519 baseline failed")
	}
	return nil
}

// Baseline is raw Ed25519 over a fixed message: the unit of every ratio.
type Baseline struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	msg  []byte
	sig  []byte
}

// NewBaseline returns the baseline of f.
func (f *Fixture) NewBaseline() (*Baseline, error) {
	msg, err := f.BaselineMessage()
	if err != nil {
		return nil, err
	}
	return &Baseline{priv: f.Priv, pub: f.Pub, msg: msg, sig: ed25519.Sign(f.Priv, msg)}, nil
}

// Sign is one raw ed25519.Sign.
func (b *Baseline) Sign() bool { return len(ed25519.Sign(b.priv, b.msg)) == ed25519.SignatureSize }

// Verify is one raw ed25519.Verify.
func (b *Baseline) Verify() bool { return ed25519.Verify(b.pub, b.msg, b.sig) }

// Measure runs n iterations of s's sign and verify, each followed by its
// raw Ed25519 baseline, and returns the ratios.
func Measure(s Scheme, base *Baseline, n int) (Result, error) {
	if n <= 0 {
		return Result{}, fmt.Errorf("bench: %d iterations: want at least 1", n)
	}
	var sign, ver Timer
	signOp := func() error { _, err := s.Sign(); return err }
	verOp := func() error { return s.Verify(s.Token) }
	for i := 0; i < n; i++ {
		if err := sign.Pair(signOp, base.Sign); err != nil {
			return Result{}, fmt.Errorf("bench: %s: sign: %w", s.Name, err)
		}
		if err := ver.Pair(verOp, base.Verify); err != nil {
			return Result{}, fmt.Errorf("bench: %s: verify: %w", s.Name, err)
		}
	}
	return Result{
		Name: s.Name, Size: len(s.Token),
		SignNs: sign.MeanNs(), VerifyNs: ver.MeanNs(),
		SignRatio: sign.Ratio(), VerifyRatio: ver.Ratio(),
		SignSpread: sign.Spread(), VerifySpread: ver.Spread(),
	}, nil
}
