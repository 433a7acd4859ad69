package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/policy"
)

// CheckURL accepts an http or https URL with a host and no user
// information.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("webhook: the URL %q does not parse", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("webhook: the URL %q is not http or https", raw)
	case u.Hostname() == "":
		return fmt.Errorf("webhook: the URL %q names no host", raw)
	case u.User != nil:
		return fmt.Errorf("webhook: the URL %q carries user information: authenticate with the signature", u.Redacted())
	}
	return nil
}

// CheckEvents accepts event types ([outbox.EventTypes]), "*" and
// "PREFIX.*" filters.
func CheckEvents(events []string) error {
	for _, e := range events {
		p, wild := strings.CutSuffix(e, ".*")
		if e == "*" || slices.Contains(outbox.EventTypes, e) ||
			wild && slices.ContainsFunc(outbox.EventTypes, func(t string) bool { return strings.HasPrefix(t, p+".") }) {
			continue
		}
		return fmt.Errorf("webhook: unknown event type %q (there are: %s)", e, strings.Join(outbox.EventTypes, ", "))
	}
	return nil
}

// Subscribe stores a subscription made through the API: the URL and
// event filter checked, a new secret made (returned in s.Secret: show it
// to the caller, who configures the receiver with it).
func Subscribe(ctx context.Context, led *ledger.Ledger, rawURL string, events []string) (*outbox.Subscription, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	if err := CheckEvents(events); err != nil {
		return nil, err
	}
	s := &outbox.Subscription{URL: rawURL, Events: events, Secret: NewSecret(), Source: "api"}
	if err := led.Outbox().AddSubscription(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// ConfigSubscriptions makes the stored subscriptions of licet.toml exactly
// hooks ([policy.Policy] Webhooks; ids "config:" and the name; see
// [ledger.Ledger.SyncSubscriptions]), after checking that each secret
// resolves. A server calls it at start.
func ConfigSubscriptions(ctx context.Context, led *ledger.Ledger, hooks []*policy.Webhook, lookupEnv func(string) (string, bool)) error {
	subs := make([]*outbox.Subscription, 0, len(hooks))
	for _, h := range hooks {
		if err := CheckURL(h.URL); err != nil {
			return fmt.Errorf("webhook %s: %w", h.Name, err)
		}
		if err := CheckEvents(h.Events); err != nil {
			return fmt.Errorf("webhook %s: %w", h.Name, err)
		}
		if _, err := ResolveSecret(h.Secret, lookupEnv); err != nil {
			return fmt.Errorf("webhook %s: %w", h.Name, err)
		}
		subs = append(subs, &outbox.Subscription{ID: "config:" + h.Name, URL: h.URL, Events: h.Events, SecretRef: h.Secret})
	}
	return led.Outbox().SyncSubscriptions(ctx, "config", subs)
}

// ResolveSecret returns the secret a reference names: env:NAME (an
// environment variable) or file:PATH (a file readable by its owner
// only, its content trimmed). The secret must parse ([ParseSecret]).
func ResolveSecret(ref string, lookupEnv func(string) (string, bool)) (string, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	var secret string
	switch kind, name, _ := strings.Cut(ref, ":"); kind {
	case "env":
		v, ok := lookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("webhook: the secret's variable %s is not set", name)
		}
		secret = v
	case "file":
		f, err := os.Open(name)
		if err != nil {
			return "", fmt.Errorf("webhook: the secret: %v", err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return "", fmt.Errorf("webhook: the secret: %v", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("webhook: the secret file %s is readable by others (mode %v): chmod 600 it", name, fi.Mode().Perm())
		}
		b, err := io.ReadAll(io.LimitReader(f, 4096))
		if err != nil {
			return "", fmt.Errorf("webhook: the secret: %v", err)
		}
		secret = strings.TrimSpace(string(b))
	default:
		return "", errors.New("webhook: a secret reference is env:NAME or file:PATH")
	}
	if _, err := ParseSecret(secret); err != nil {
		return "", fmt.Errorf("%w (from %s)", err, ref)
	}
	return secret, nil
}
