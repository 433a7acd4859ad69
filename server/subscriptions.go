package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/webhook"
)

// SubscriptionView is a webhook subscription as the API shows it: its
// secret only in the answer that created it.
type SubscriptionView struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events are the event types sent ("license.*" for every license
	// event); empty: every event.
	Events []string `json:"events"`
	// Source is where it comes from: "config", the [[webhooks]] of
	// licet.toml (changed there, its secret referenced there), or "api".
	Source  string    `json:"source"`
	Created time.Time `json:"created"`
	// Secret is the signing secret (whsec_...) of a subscription made
	// through the API, shown once: in the answer of POST only.
	Secret string `json:"secret,omitempty"`
}

func subscriptionView(s *outbox.Subscription) *SubscriptionView {
	events := s.Events
	if events == nil {
		events = []string{}
	}
	return &SubscriptionView{ID: s.ID, URL: s.URL, Events: events, Source: s.Source, Created: s.Created.UTC()}
}

// subscriptionList is the answer of GET /v1/webhooks/subscriptions.
type subscriptionList struct {
	Subscriptions []*SubscriptionView `json:"subscriptions"`
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request, _ *APIToken) error {
	subs, err := s.led.Outbox().Subscriptions(r.Context())
	if err != nil {
		return err
	}
	out := subscriptionList{Subscriptions: make([]*SubscriptionView, 0, len(subs))}
	for _, sub := range subs {
		out.Subscriptions = append(out.Subscriptions, subscriptionView(sub))
	}
	httpserve.WriteJSON(w, http.StatusOK, out)
	return nil
}

// subscribeRequest is the body of POST /v1/webhooks/subscriptions.
type subscribeRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events,omitempty"`
}

var subscribeFields = sync.OnceValue(func() map[string]bool { return knownFields([]string{"url", "events"}) })

// maxSubscriptions caps the subscriptions made through the API: each
// one is a request per event.
const maxSubscriptions = 100

// createSubscription stores a subscription and answers it with its new
// secret, shown this once.
func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	var req subscribeRequest
	if err := httpserve.DecodeJSON(r, &req, subscribeFields()); err != nil {
		return err
	}
	var problems []string
	if req.URL == "" {
		problems = append(problems, "url is required: the endpoint that receives the events (http or https)")
	} else if err := webhook.CheckURL(req.URL); err != nil || len(req.URL) > 2000 {
		if err == nil {
			err = errors.New("webhook: a URL is at most 2000 characters")
		}
		problems = append(problems, "url: "+strings.TrimPrefix(err.Error(), "webhook: "))
	}
	if err := webhook.CheckEvents(req.Events); err != nil {
		problems = append(problems, "events: "+strings.TrimPrefix(err.Error(), "webhook: "))
	}
	if len(problems) > 0 {
		return invalid(problems)
	}
	ctx := r.Context()
	subs, err := s.led.Outbox().Subscriptions(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, sub := range subs {
		if sub.Source == "api" {
			n++
		}
	}
	if n >= maxSubscriptions {
		return httpserve.NewProblem(http.StatusConflict, "too_many_subscriptions", "there are %d webhook subscriptions made through the API already: delete one first", n)
	}
	// Stored with its audit row, in one transaction.
	ctx = ledger.WithAudit(ctx, &ledger.Audit{Actor: tok.ID, Action: "webhook.subscribed", Detail: redactURL(req.URL)})
	sub, err := webhook.Subscribe(ctx, s.led, req.URL, req.Events)
	if err != nil {
		return err
	}
	v := subscriptionView(sub)
	v.Secret = sub.Secret
	w.Header().Set("Location", "/v1/webhooks/subscriptions/"+sub.ID)
	w.Header().Set("Cache-Control", "no-store")
	httpserve.WriteJSON(w, http.StatusCreated, v)
	return nil
}

// deleteSubscription removes a subscription made through the API (and
// its pending deliveries); those of licet.toml are changed there.
func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	id := r.PathValue("id")
	ctx := r.Context()
	sub, err := s.led.Outbox().Subscription(ctx, id)
	if errors.Is(err, outbox.ErrNoSubscription) {
		return httpserve.NewProblem(http.StatusNotFound, httpserve.CodeNotFound, "no webhook subscription %q", id)
	}
	if err != nil {
		return err
	}
	if sub.Source != "api" {
		return httpserve.NewProblem(http.StatusConflict, "config_subscription",
			"the webhook subscription %s comes from licet.toml: remove its [[webhooks]] entry there, then restart the server", id)
	}
	ctx = ledger.WithAudit(ctx, &ledger.Audit{Actor: tok.ID, Action: "webhook.unsubscribed", Detail: redactURL(sub.URL)})
	if err := s.led.Outbox().DeleteSubscription(ctx, id); errors.Is(err, outbox.ErrNoSubscription) {
		return httpserve.NewProblem(http.StatusNotFound, httpserve.CodeNotFound, "no webhook subscription %q", id)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// redactURL returns a URL without its query and user information (which
// may hold secrets), for the audit log.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
