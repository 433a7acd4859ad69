package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/licet/licet/webhook"
)

// The example of the Standard Webhooks specification (its reference
// libraries test it): this secret, id, timestamp and body sign as want.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignSpecExample(t *testing.T) {
	got, err := webhook.Sign(specSecret, specID, time.Unix(specTS, 0), []byte(specBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != specSig {
		t.Fatalf("Sign = %s, want the specification's %s", got, specSig)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(specTS, 0)
	headers := func(sig string, ts int64) http.Header {
		h := http.Header{}
		h.Set(webhook.HeaderID, specID)
		h.Set(webhook.HeaderTimestamp, strconv.FormatInt(ts, 10))
		h.Set(webhook.HeaderSignature, sig)
		return h
	}
	other := "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	for _, tc := range []struct {
		name string
		h    http.Header
		body string
		now  time.Time
		ok   bool
	}{
		{"the specification's example", headers(specSig, specTS), specBody, now, true},
		{"one of several signatures", headers(other+" v2,abc "+specSig, specTS), specBody, now, true},
		{"another signature", headers(other, specTS), specBody, now, false},
		{"the body changed", headers(specSig, specTS), `{"test": 2432232315}`, now, false},
		{"a v2 signature only", headers("v2,"+specSig[3:], specTS), specBody, now, false},
		{"too old", headers(specSig, specTS), specBody, now.Add(webhook.Tolerance + time.Second), false},
		{"too new", headers(specSig, specTS), specBody, now.Add(-webhook.Tolerance - time.Second), false},
		{"no id", func() http.Header { h := headers(specSig, specTS); h.Del(webhook.HeaderID); return h }(), specBody, now, false},
		{"a timestamp not a number", func() http.Header { h := headers(specSig, specTS); h.Set(webhook.HeaderTimestamp, "x"); return h }(), specBody, now, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := webhook.Verify(specSecret, tc.h, []byte(tc.body), tc.now)
			if (err == nil) != tc.ok {
				t.Fatalf("Verify: %v, want ok %v", err, tc.ok)
			}
			if tc.ok && id != specID {
				t.Fatalf("id %q", id)
			}
		})
	}
	if _, err := webhook.Verify(specSecret, headers(other, specTS), []byte(specBody), now); !errors.Is(err, webhook.ErrSignature) {
		t.Fatalf("a wrong signature: %v, want ErrSignature", err)
	}
}

func TestSecrets(t *testing.T) {
	s := webhook.NewSecret()
	if _, err := webhook.ParseSecret(s); err != nil || s == webhook.NewSecret() {
		t.Fatalf("NewSecret %q: %v", s, err)
	}
	for _, bad := range []string{"", "whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		if _, err := webhook.Sign(bad, "msg_1", time.Now(), nil); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
}
