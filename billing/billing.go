package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
	"github.com/stripe/stripe-go/v82/webhook"
)

// Route is the method and path pattern the endpoint is served at.
const Route = "POST /v1/stripe/webhook"

// MaxBody caps a request body: Stripe's events are far smaller.
const MaxBody = 1 << 20

// Config is what a [Handler] needs.
type Config struct {
	// Issuer signs and records; its Write must accept file "" (the
	// endpoint hands no token out: licenses are in the ledger, for the
	// API and the webhooks it sends).
	Issuer *issue.Issuer
	// Policy holds the templates and the [stripe] table (Policy.Stripe,
	// required).
	Policy *policy.Policy
	// Secrets are the endpoint's signing secrets (whsec_...): a body
	// signed with any of them is accepted. See [LoadSecrets].
	Secrets []string
	// Events records the events processed.
	Events *Events
	// Logger receives one line per event; nil discards them.
	Logger *slog.Logger
	// Actor is who the ledger's audit table records as making the
	// changes ([ledger.Audit], in the transaction of each change, with
	// detail "stripe event evt_..."): "" is "stripe".
	Actor string
}

// Handler is the Stripe webhook endpoint.
type Handler struct {
	cfg Config
	st  *policy.Stripe
	log *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// New returns the endpoint of cfg.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Issuer == nil || cfg.Events == nil:
		return nil, errors.New("billing: an issuer and an event table are required")
	case cfg.Policy == nil || cfg.Policy.Stripe == nil:
		return nil, errors.New("billing: the policy file has no [stripe] table")
	case len(cfg.Secrets) == 0:
		return nil, errors.New("billing: no signing secret")
	}
	for _, s := range cfg.Secrets {
		if !policy.ValidStripeSecret(s) {
			return nil, errors.New("billing: a signing secret is not one (whsec_...)")
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{cfg: cfg, st: cfg.Policy.Stripe, log: log.With("component", "stripe")}, nil
}

// Outcome is what an event did.
type Outcome struct {
	Event string `json:"event"`
	Type  string `json:"type"`
	// Outcome is minted, renewed, revoked, unchanged (done before: the
	// same event delivered again, or another one of the same order) or
	// ignored.
	Outcome string `json:"outcome"`
	// License is the license minted, renewed (the renewal) or revoked
	// (the newest of the subscription); "" for none.
	License string `json:"license,omitempty"`
	Order   string `json:"order,omitempty"`
	// Reason says why an event was ignored or unchanged.
	Reason string `json:"reason,omitempty"`
}

// The outcomes.
const (
	Minted    = "minted"
	Renewed   = "renewed"
	Revoked   = "revoked"
	Unchanged = "unchanged"
	Ignored   = "ignored"
)

// Error is a refused event: the status answered and a stable code.
type Error struct {
	Status int
	Code   string
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// The codes of refused events.
const (
	CodeBadSignature  = "bad_signature"
	CodeMalformed     = "malformed_event"
	CodeTooLarge      = "body_too_large"
	CodeUnknownPrice  = "unknown_price"
	CodeNoPrice       = "no_price"
	CodeNoSubject     = "no_subject"
	CodeOrderConflict = "order_conflict"
	CodeInternal      = "internal"
)

func refuse(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Err: fmt.Errorf("billing: "+format, args...)}
}

// ServeHTTP verifies the event, processes it and answers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, "", "", refuse(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is larger than %d bytes", MaxBody))
			return
		}
		h.fail(w, "", "", refuse(http.StatusBadRequest, CodeMalformed, "reading the body: %v", err))
		return
	}
	if err := h.verify(body, r.Header.Get("Stripe-Signature")); err != nil {
		h.fail(w, "", "", err)
		return
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		h.fail(w, "", "", refuse(http.StatusBadRequest, CodeMalformed, "the body is not a Stripe event: %v", err))
		return
	}
	if ev.Object != "event" || !strings.HasPrefix(ev.ID, "evt_") || ev.Type == "" || len(ev.Data.Object) == 0 {
		h.fail(w, ev.ID, ev.Type, refuse(http.StatusBadRequest, CodeMalformed, "the body is not a Stripe event (object \"event\", an evt_ id, a type and data.object)"))
		return
	}
	out, err := h.handle(r, &ev)
	if err != nil {
		h.fail(w, ev.ID, ev.Type, err)
		return
	}
	h.log.Info("stripe event", "event", ev.ID, "type", ev.Type, "outcome", out.Outcome, "license", out.License, "order", out.Order, "reason", out.Reason)
	writeJSON(w, http.StatusOK, out)
}

// verify checks the Stripe-Signature header with each secret.
func (h *Handler) verify(body []byte, header string) error {
	var err error
	for _, secret := range h.cfg.Secrets {
		if err = webhook.ValidatePayloadWithTolerance(body, header, secret, h.st.Tolerance); err == nil {
			return nil
		}
		if !errors.Is(err, webhook.ErrNoValidSignature) {
			break // the header, not the secret: the same for every secret
		}
	}
	switch {
	case errors.Is(err, webhook.ErrNotSigned):
		return refuse(http.StatusBadRequest, CodeBadSignature, "no Stripe-Signature header")
	case errors.Is(err, webhook.ErrInvalidHeader):
		return refuse(http.StatusBadRequest, CodeBadSignature, "the Stripe-Signature header is malformed")
	case errors.Is(err, webhook.ErrTooOld):
		return refuse(http.StatusBadRequest, CodeBadSignature, "the signature's timestamp is older than %s: a replayed or delayed delivery", h.st.Tolerance)
	}
	return refuse(http.StatusBadRequest, CodeBadSignature, "no signature of the body by the endpoint's secret")
}

// handle processes a verified event once.
func (h *Handler) handle(r *http.Request, ev *event) (*Outcome, error) {
	ctx := r.Context()
	if p, ok, err := h.cfg.Events.Get(ctx, ev.ID); err != nil {
		return nil, &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Err: err}
	} else if ok {
		return &Outcome{Event: ev.ID, Type: ev.Type, Outcome: Unchanged, License: p.License,
			Reason: fmt.Sprintf("processed at %s (%s)", p.At.Format(time.RFC3339), p.Outcome)}, nil
	}
	// Each change is audited in its ledger transaction: a license
	// minted (license.issued), renewed (license.renewed), each license a
	// revocation list newly revokes (license.revoked).
	actor := h.cfg.Actor
	if actor == "" {
		actor = "stripe"
	}
	r = r.WithContext(ledger.WithAudit(ctx, &ledger.Audit{Actor: actor, Detail: "stripe event " + ev.ID}))
	out, err := h.process(r, ev)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = classify(err)
		}
		return nil, err
	}
	out.Event, out.Type = ev.ID, ev.Type
	// Recorded after the issuing: a crash before this line is safe, as
	// the order references make the next delivery issue nothing (see the
	// package doc).
	if err := h.cfg.Events.Record(ctx, &Processed{ID: ev.ID, Type: ev.Type, Outcome: out.Outcome, License: out.License}); err != nil {
		h.log.Error("stripe event processed, not recorded (a new delivery finds its order)", "event", ev.ID, "err", err)
	}
	return out, nil
}

// classify turns an issuing error into the answer Stripe sees.
func classify(err error) error {
	var ce *issue.ConflictError
	if errors.As(err, &ce) {
		return &Error{Status: http.StatusConflict, Code: CodeOrderConflict, Err: err}
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Err: err}
}

// fail logs a refused event and answers it as a problem.
func (h *Handler) fail(w http.ResponseWriter, id, typ string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Err: err}
	}
	level := slog.LevelWarn
	if e.Status >= 500 || e.Code == CodeNoPrice || e.Code == CodeNoSubject || e.Code == CodeOrderConflict {
		level = slog.LevelError
	}
	h.log.Log(context.Background(), level, "stripe event refused", "event", id, "type", typ, "status", e.Status, "code", e.Code, "err", e.Err)
	detail := e.Err.Error()
	if e.Code == CodeInternal {
		detail = "the event could not be processed: see the server's log; Stripe delivers it again"
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]any{
		"type": "urn:licet:problem:" + e.Code, "title": http.StatusText(e.Status), "status": e.Status,
		"code": e.Code, "detail": strings.TrimPrefix(detail, "billing: "),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// out hands a token to nobody: the endpoint answers Stripe, not the
// customer; the license is in the ledger.
var out = issue.Out{Encode: func(e *ledger.Entry) ([]byte, error) {
	s, err := token.EncodeText(e.Raw, "")
	return []byte(s), err
}}
