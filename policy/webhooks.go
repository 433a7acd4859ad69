package policy

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// WebhookEvents are the event types a [[webhooks]] entry may name (those
// of package ledger; a test keeps the two lists equal).
var WebhookEvents = []string{"license.issued", "license.renewed", "license.revoked", "license.expiring",
	"grant.issued", "grant.revoked", "report.ingested"}

// Webhook is a [[webhooks]] entry: an endpoint that 'licet serve' posts
// events to, signed with the secret that Secret references.
type Webhook struct {
	Name string // unique; the subscription's id is "config:" + Name
	URL  string // http or https
	// Events lists the event types sent (or "license.*", "*"); empty
	// sends every event.
	Events []string
	// Secret references the signing secret: env:NAME (an environment
	// variable) or file:PATH (a file only its owner reads). The secret
	// itself (whsec_...) never goes in licet.toml.
	Secret string
}

type webhookWire struct {
	Name   string   `toml:"name"`
	URL    string   `toml:"url"`
	Events []string `toml:"events"`
	Secret string   `toml:"secret"`
}

// validWebhookName accepts 1 to 63 lowercase letters, digits, - and _,
// starting with a letter or digit (no regexp: initialising the package
// stays cheap for the commands that never read a policy).
func validWebhookName(s string) bool {
	if s == "" || len(s) > 63 || s[0] == '-' || s[0] == '_' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkWebhooks checks the [[webhooks]] entries.
func checkWebhooks(ws []webhookWire) ([]*Webhook, []string) {
	var out []*Webhook
	var problems []string
	seen := map[string]bool{}
	for i, w := range ws {
		name := w.Name
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		add := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("webhook %s: %s", name, fmt.Sprintf(format, args...)))
		}
		switch {
		case w.Name == "":
			add("name is required (lowercase letters, digits, - and _): it names the subscription")
		case !validWebhookName(w.Name):
			add("name %q: use lowercase letters, digits, - and _", w.Name)
		case seen[w.Name]:
			add("the name is used twice")
		}
		seen[w.Name] = true
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			add("url %q is not an http or https URL", w.URL)
		} else if u.User != nil {
			add("url carries user information: receivers authenticate the signature")
		}
		for _, e := range w.Events {
			p, wild := strings.CutSuffix(e, ".*")
			if e != "*" && !slices.Contains(WebhookEvents, e) &&
				!(wild && slices.ContainsFunc(WebhookEvents, func(t string) bool { return strings.HasPrefix(t, p+".") })) {
				add("unknown event %q (there are: %s)", e, strings.Join(WebhookEvents, ", "))
			}
		}
		switch kind, rest, _ := strings.Cut(w.Secret, ":"); {
		case strings.HasPrefix(w.Secret, "whsec_"):
			add("secret holds the secret itself: keep it out of licet.toml and give env:NAME or file:PATH")
		case (kind != "env" && kind != "file") || rest == "":
			add("secret %q: give env:NAME or file:PATH", w.Secret)
		}
		out = append(out, &Webhook{Name: w.Name, URL: w.URL, Events: w.Events, Secret: w.Secret})
	}
	return out, problems
}
