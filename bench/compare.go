package bench

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
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
	// SignRatio and VerifyRatio are the scheme's time divided by that of
	// raw ed25519.Sign and ed25519.Verify in the same iterations.
	SignRatio   float64 `json:"sign_x_ed25519"`
	VerifyRatio float64 `json:"verify_x_ed25519"`
}

// Timer accumulates the time of a scheme's operation and of its raw
// Ed25519 baseline, alternated in every iteration.
type Timer struct {
	op, raw time.Duration
	n       int
}

// Ratio returns the accumulated operation time over the baseline time.
func (t *Timer) Ratio() float64 {
	if t.raw == 0 {
		return 0
	}
	return float64(t.op) / float64(t.raw)
}

// MeanNs returns the mean time of one operation in nanoseconds.
func (t *Timer) MeanNs() float64 {
	if t.n == 0 {
		return 0
	}
	return float64(t.op) / float64(t.n)
}

// Pair runs op and base once each, timing each. The order alternates
// from one call to the next: whichever runs second finds the Ed25519
// tables warm in the cache.
func (t *Timer) Pair(op func() error, base func() bool) error {
	var err error
	var ok bool
	timeOp := func() time.Duration { t0 := time.Now(); err = op(); return time.Since(t0) }
	timeBase := func() time.Duration { t0 := time.Now(); ok = base(); return time.Since(t0) }
	var dOp, dBase time.Duration
	if t.n%2 == 0 {
		dOp = timeOp()
		dBase = timeBase()
	} else {
		dBase = timeBase()
		dOp = timeOp()
	}
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("bench: raw Ed25519 baseline failed")
	}
	t.op += dOp
	t.raw += dBase
	t.n++
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
	}, nil
}
