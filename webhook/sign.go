package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The Standard Webhooks headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// Tolerance is how far a timestamp may be from the receiver's clock in
// [Verify].
const Tolerance = 5 * time.Minute

// ErrSignature is returned by [Verify] when no signature matches.
var ErrSignature = errors.New("webhook: no matching signature")

// NewSecret returns a new signing secret: whsec_ and 32 random bytes in
// base64.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// ParseSecret returns the HMAC key of a secret: whsec_ and base64 of 24
// to 64 bytes (the prefix is optional, as in the specification).
func ParseSecret(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(secret), SecretPrefix))
	switch {
	case err != nil:
		return nil, errors.New("webhook: the secret is not whsec_ and base64")
	case len(key) < 24 || len(key) > 64:
		return nil, fmt.Errorf("webhook: the secret's key is %d bytes; give 24 to 64", len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature of a message: "v1," and the base64
// HMAC-SHA256 of "id.timestamp.body" under the secret's key.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, ts.Unix(), body)), nil
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks the Standard Webhooks headers of a received message
// against its body: the id and timestamp present, the timestamp within
// [Tolerance] of now, and one of the space-separated v1 signatures that
// of secret. It returns the message id.
func Verify(secret string, h http.Header, body []byte, now time.Time) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return "", errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return "", errors.New("webhook: webhook-timestamp is not Unix seconds")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return "", fmt.Errorf("webhook: the timestamp is %s from now, more than %s", d.Round(time.Second), Tolerance)
	}
	want := mac(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return id, nil
		}
	}
	return "", ErrSignature
}
