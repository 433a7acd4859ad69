package bench_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/licet/licet/bench"
)

func schemes(tb testing.TB) (*bench.Fixture, []bench.Scheme, *bench.Baseline) {
	tb.Helper()
	f := bench.NewFixture()
	ss, err := f.Schemes()
	if err != nil {
		tb.Fatal(err)
	}
	base, err := f.NewBaseline()
	if err != nil {
		tb.Fatal(err)
	}
	return f, ss, base
}

// TestSchemesRoundTrip: every scheme verifies what it signed, and rejects
// its token with one flipped bit past any brand prefix and a token signed by another
// key, so that no ratio is measured over a verifier that checks nothing.
func TestSchemesRoundTrip(t *testing.T) {
	_, ss, _ := schemes(t)
	names := map[string]bool{}
	other := bench.NewFixture()
	other.Priv = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	other.Pub = other.Priv.Public().(ed25519.PublicKey)
	otherSchemes, err := other.Schemes()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range ss {
		names[s.Name] = true
		t.Run(s.Name, func(t *testing.T) {
			tok, err := s.Sign()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(tok); err != nil {
				t.Fatalf("own token: %v", err)
			}
			for _, pos := range []int{12, len(tok) / 3, len(tok) / 2, len(tok) - 2} {
				bad := bytes.Clone(tok)
				bad[pos] ^= 0x04
				if err := s.Verify(bad); err == nil {
					t.Errorf("token with byte %d changed verifies", pos)
				}
			}
			if err := s.Verify(otherSchemes[i].Token); err == nil {
				t.Error("token signed by another key verifies")
			}
		})
	}
	for _, n := range []string{"licet-raw", "licet-text", "go-cose", "golang-jwt", "go-jose", "paseto-v4-local"} {
		if !names[n] {
			t.Errorf("scheme %s missing", n)
		}
	}
}

// TestSchemesRejectExpired: every verifier checks the clock.
func TestSchemesRejectExpired(t *testing.T) {
	f, ss, _ := schemes(t)
	f.Now = f.License.Expiry.AddDate(1, 0, 0) // the verifiers read f.Now
	for _, s := range ss {
		if err := s.Verify(s.Token); err == nil {
			t.Errorf("%s: expired token verifies", s.Name)
		}
	}
}

// TestPasetoV4Vector4S1 is the PASETO specification's test vector 4-S-1
// (v4.public, no footer, no implicit assertion). Ed25519 signing is
// deterministic, so the token must match byte for byte.
func TestPasetoV4Vector4S1(t *testing.T) {
	secret, _ := hex.DecodeString("b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774" +
		"1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2")
	priv := ed25519.PrivateKey(secret)
	msg := []byte(`{"data":"this is a signed message","exp":"2022-01-01T00:00:00+00:00"}`)
	want := "v4.public.eyJkYXRhIjoidGhpcyBpcyBhIHNpZ25lZCBtZXNzYWdlIiwiZXhwIjoiMjAyMi0wMS0wMVQwMDowMDowMCswMDowMCJ9" +
		"bg_XBBzds8lTZShVlwwKSgeKpLT3yukTw6JUz3W4h_ExsQV-P0V54zemZDcAxFaSeef1QlXEFtkqxT1ciiQEDA"
	got := bench.PasetoV4Sign(priv, msg, nil, nil)
	if string(got) != want {
		t.Fatalf("token\n got %s\nwant %s", got, want)
	}
	m, err := bench.PasetoV4Verify(priv.Public().(ed25519.PublicKey), got, nil, nil)
	if err != nil || !bytes.Equal(m, msg) {
		t.Fatalf("verify: %q, %v", m, err)
	}
	if _, err := bench.PasetoV4Verify(priv.Public().(ed25519.PublicKey), got, nil, []byte("x")); err == nil {
		t.Error("verifies under another implicit assertion")
	}
	withFooter := bench.PasetoV4Sign(priv, msg, []byte("kid"), nil)
	if !strings.HasSuffix(string(withFooter), ".a2lk") {
		t.Errorf("footer not appended: %s", withFooter)
	}
	if _, err := bench.PasetoV4Verify(priv.Public().(ed25519.PublicKey), withFooter, nil, nil); err == nil {
		t.Error("verifies with an unexpected footer")
	}
}

// TestMeasure: a short interleaved run yields positive ratios for every
// scheme, and zero iterations is an error.
func TestMeasure(t *testing.T) {
	_, ss, base := schemes(t)
	for _, s := range ss {
		r, err := bench.Measure(s, base, 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.SignRatio <= 0 || r.VerifyRatio <= 0 || r.Size != len(s.Token) || r.Name != s.Name {
			t.Errorf("%s: %+v", s.Name, r)
		}
	}
	if _, err := bench.Measure(ss[0], base, 0); err == nil {
		t.Error("0 iterations accepted")
	}
}

// BenchmarkSign reports each scheme's signing time as a ratio to raw
// ed25519.Sign in the same iterations ("x-ed25519").
func BenchmarkSign(b *testing.B) {
	_, ss, base := schemes(b)
	for _, s := range ss {
		b.Run(s.Name, func(b *testing.B) {
			var t bench.Timer
			op := func() error { _, err := s.Sign(); return err }
			for i := 0; i < b.N; i++ {
				if err := t.Pair(op, base.Sign); err != nil {
					b.Fatal(err)
				}
			}
			t.Report(b, "x-ed25519")
		})
	}
}

// BenchmarkVerify reports each scheme's verification time as a ratio to
// raw ed25519.Verify in the same iterations ("x-ed25519").
func BenchmarkVerify(b *testing.B) {
	_, ss, base := schemes(b)
	for _, s := range ss {
		b.Run(s.Name, func(b *testing.B) {
			var t bench.Timer
			op := func() error { return s.Verify(s.Token) }
			for i := 0; i < b.N; i++ {
				if err := t.Pair(op, base.Verify); err != nil {
					b.Fatal(err)
				}
			}
			t.Report(b, "x-ed25519")
		})
	}
}

// TestTargets: a short run measures every target of issue 20 with a
// positive ratio, an ordered spread and Met consistent with Max, and
// zero iterations is an error.
func TestTargets(t *testing.T) {
	ts, err := bench.NewFixture().Targets(3)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 5 {
		t.Fatalf("%d targets", len(ts))
	}
	for _, tg := range ts {
		if tg.Ratio <= 0 || tg.Spread[0] > tg.Spread[1] || tg.Met != (tg.Ratio <= tg.Max) {
			t.Errorf("%+v", tg)
		}
	}
	if _, err := bench.NewFixture().Targets(0); err == nil {
		t.Error("0 iterations accepted")
	}
}
