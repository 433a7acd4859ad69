package webhook_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/webhook"
)

// TestEventListsAgree: licet.toml accepts exactly the ledger's event types.
func TestEventListsAgree(t *testing.T) {
	if !slices.Equal(policy.WebhookEvents, outbox.EventTypes) {
		t.Fatalf("policy.WebhookEvents %v, outbox.EventTypes %v", policy.WebhookEvents, outbox.EventTypes)
	}
}

func TestResolveSecret(t *testing.T) {
	secret := webhook.NewSecret()
	dir := t.TempDir()
	good, open := filepath.Join(dir, "good"), filepath.Join(dir, "open")
	os.WriteFile(good, []byte(secret+"\n"), 0o600)
	os.WriteFile(open, []byte(secret), 0o644)
	os.Chmod(open, 0o644)
	env := func(name string) (string, bool) {
		switch name {
		case "S":
			return secret, true
		case "BAD":
			return "not a secret", true
		}
		return "", false
	}
	for _, tc := range []struct{ ref, err string }{
		{"env:S", ""},
		{"file:" + good, ""},
		{"env:MISSING", "not set"},
		{"env:BAD", "base64"},
		{"file:" + open, "readable by others"},
		{"file:" + filepath.Join(dir, "none"), "no such file"},
		{secret, "env:NAME or file:PATH"},
	} {
		got, err := webhook.ResolveSecret(tc.ref, env)
		switch {
		case tc.err == "" && (err != nil || got != secret):
			t.Errorf("%s: %q, %v", tc.ref, got, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: %v, want an error with %q", tc.ref, err, tc.err)
		}
	}
}

func TestSubscribeChecks(t *testing.T) {
	ctx := context.Background()
	l := openLedger(t, filepath.Join(t.TempDir(), "licet.db"))
	for _, tc := range []struct {
		url    string
		events []string
		err    string
	}{
		{"ftp://crm.example/x", nil, "not http or https"},
		{"https://user:pw@crm.example/x", nil, "user information"},
		{"https:///x", nil, "no host"},
		{"https://crm.example/x", []string{"license.sold"}, "unknown event type"},
	} {
		if _, err := webhook.Subscribe(ctx, l, tc.url, tc.events); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s %v: %v, want %q", tc.url, tc.events, err, tc.err)
		}
	}
	s, err := webhook.Subscribe(ctx, l, "https://crm.example/x", []string{"license.*"})
	if err != nil || !strings.HasPrefix(s.Secret, "whsec_") || !strings.HasPrefix(s.ID, "sub_") {
		t.Fatalf("%+v, %v", s, err)
	}
	if !s.Wants("license.expiring") || s.Wants("grant.issued") {
		t.Fatal("license.* filter")
	}
	subs, _ := l.Outbox().Subscriptions(ctx)
	if len(subs) != 1 || subs[0].Secret != s.Secret {
		t.Fatalf("stored %+v", subs)
	}
	// A config webhook whose secret does not resolve is refused.
	err = webhook.ConfigSubscriptions(ctx, l, []*policy.Webhook{{Name: "crm", URL: "https://crm.example/x", Secret: "env:NONE"}}, func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "webhook crm") {
		t.Fatalf("unresolved secret: %v", err)
	}
}
