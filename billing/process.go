package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
)

// The order references of what Stripe sells: the first license of a
// subscription, a one-off Checkout payment, an invoice (a renewal, or a
// one-off invoice).
const (
	OrderSubscription = "stripe:subscription:"
	OrderCheckout     = "stripe:checkout:"
	OrderInvoice      = "stripe:invoice:"
)

// The event types handled.
const (
	EventCheckoutCompleted    = "checkout.session.completed"
	EventCheckoutAsyncSuccess = "checkout.session.async_payment_succeeded"
	EventInvoicePaid          = "invoice.paid"
	EventSubscriptionDeleted  = "customer.subscription.deleted"
)

// maxRenewals bounds the walk along a subscription's renewals.
const maxRenewals = 100_000

// process does what ev asks.
func (h *Handler) process(r *http.Request, ev *event) (*Outcome, error) {
	ctx := r.Context()
	switch ev.Type {
	case EventCheckoutCompleted, EventCheckoutAsyncSuccess:
		var s session
		if err := decodeObject(ev, &s, "cs_"); err != nil {
			return nil, err
		}
		return h.checkout(ctx, ev.Type, &s)
	case EventInvoicePaid:
		var in invoice
		if err := decodeObject(ev, &in, "in_"); err != nil {
			return nil, err
		}
		return h.invoicePaid(ctx, &in)
	case EventSubscriptionDeleted:
		var s subscription
		if err := decodeObject(ev, &s, "sub_"); err != nil {
			return nil, err
		}
		return h.subscriptionDeleted(ctx, &s)
	}
	return &Outcome{Outcome: Ignored, Reason: "an event type the endpoint does not handle"}, nil
}

// decodeObject decodes the event's object, which must have an id with
// the prefix given.
func decodeObject(ev *event, v any, prefix string) error {
	if err := json.Unmarshal(ev.Data.Object, v); err != nil {
		return refuse(http.StatusBadRequest, CodeMalformed, "%s: data.object: %v", ev.Type, err)
	}
	var id struct {
		ID string `json:"id"`
	}
	json.Unmarshal(ev.Data.Object, &id)
	if !strings.HasPrefix(id.ID, prefix) || len(id.ID) > 255 {
		return refuse(http.StatusBadRequest, CodeMalformed, "%s: data.object has no %s... id", ev.Type, prefix)
	}
	return nil
}

func (h *Handler) now() time.Time {
	if h.cfg.Issuer.Now != nil {
		return h.cfg.Issuer.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// checkout mints the license of a completed Checkout Session.
func (h *Handler) checkout(ctx context.Context, typ string, s *session) (*Outcome, error) {
	if s.PaymentStatus == "unpaid" {
		return &Outcome{Outcome: Ignored, Reason: "the payment is pending: its checkout.session.async_payment_succeeded mints"}, nil
	}
	prices := s.prices()
	if len(prices) == 0 && s.Subscription != "" {
		return &Outcome{Outcome: Ignored, Reason: fmt.Sprintf("the session names no price (metadata %s): the subscription's first invoice.paid mints", MetadataPrice)}, nil
	}
	what := "checkout session " + s.ID
	t, ignore, err := h.template(prices, what)
	if ignore != nil || err != nil {
		return ignore, err
	}
	sub, err := h.subject(s.email(), s.Customer, what)
	if err != nil {
		return nil, err
	}
	order := OrderCheckout + s.ID
	if s.Subscription != "" {
		order = OrderSubscription + string(s.Subscription)
	}
	return h.mint(ctx, t, sub, order)
}

// invoicePaid mints the first license of a subscription or renews it.
func (h *Handler) invoicePaid(ctx context.Context, in *invoice) (*Outcome, error) {
	what := "invoice " + in.ID
	var prices []string
	var lines []*invoiceLine
	for i := range in.Lines.Data {
		if p := in.Lines.Data[i].price(); p != "" {
			prices, lines = append(prices, p), append(lines, &in.Lines.Data[i])
		}
	}
	t, ignore, err := h.template(prices, what)
	if ignore != nil || err != nil {
		return ignore, err
	}
	var line *invoiceLine
	for i, p := range prices {
		if h.st.Prices[p] == t.Name {
			line = lines[i]
			break
		}
	}
	sub, err := h.subject(in.CustomerEmail, in.Customer, what)
	if err != nil {
		return nil, err
	}
	subID := in.subscription()
	if subID == "" {
		return h.mint(ctx, t, sub, OrderInvoice+in.ID)
	}
	first, err := h.cfg.Issuer.Ledger.ByOrder(ctx, OrderSubscription+subID)
	if errors.Is(err, ledger.ErrNotFound) {
		return h.mint(ctx, t, sub, OrderSubscription+subID)
	}
	if err != nil {
		return nil, err
	}
	if in.BillingReason == "subscription_create" {
		return &Outcome{Outcome: Unchanged, License: first.ID, Order: first.OrderRef,
			Reason: "the subscription's first invoice: its checkout licensed it"}, nil
	}
	order := OrderInvoice + in.ID
	if e, err := h.cfg.Issuer.Ledger.ByOrder(ctx, order); err == nil {
		return &Outcome{Outcome: Unchanged, License: e.ID, Order: order, Reason: "the invoice's renewal is recorded"}, nil
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return nil, err
	}
	cur, err := h.newest(ctx, first)
	if err != nil {
		return nil, err
	}
	if cur.Expiry.IsZero() {
		return &Outcome{Outcome: Ignored, License: cur.ID, Reason: "the subscription's license is perpetual: nothing to renew"}, nil
	}
	now := h.now()
	var expiry time.Time
	if line != nil && line.Period.End > 0 {
		expiry = time.Unix(line.Period.End, 0).UTC()
	} else if t.Days > 0 {
		expiry = issue.RenewalStart(cur, now).Add(time.Duration(t.Days) * 24 * time.Hour)
	} else {
		return nil, refuse(http.StatusUnprocessableEntity, CodeNoPrice, "%s: no period end, and template %s has no days to renew by", what, t.Name)
	}
	if !expiry.After(now) {
		return &Outcome{Outcome: Ignored, License: cur.ID, Reason: "the period paid for has ended"}, nil
	}
	res, err := h.cfg.Issuer.Renew(ctx, &issue.RenewRequest{
		Old: cur, Expiry: expiry, Order: order, Out: out,
		// The terms of the price paid now: a plan changed at renewal
		// changes them. The licensee and the machine binding stay.
		Change: func(l *token.License) error {
			n := t.License(l.Subject, l.IssuedAt)
			l.Audience, l.Tier, l.Scopes, l.Versions, l.Rights = n.Audience, n.Tier, n.Scopes, n.Versions, n.Rights
			l.Limits, l.Meta, l.Grace, l.Fallback = n.Limits, n.Meta, n.Grace, n.Fallback
			return nil
		},
	})
	if dup := (*ledger.DuplicateError)(nil); errors.As(err, &dup) {
		if e, err := h.cfg.Issuer.Ledger.ByOrder(ctx, order); err == nil {
			return &Outcome{Outcome: Unchanged, License: e.ID, Order: order, Reason: "renewed by another delivery meanwhile"}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return &Outcome{Outcome: Renewed, License: res.Entry.ID, Order: order}, nil
}

// subscriptionDeleted revokes the licenses of a subscription, or lets
// them expire.
func (h *Handler) subscriptionDeleted(ctx context.Context, s *subscription) (*Outcome, error) {
	led := h.cfg.Issuer.Ledger
	first, err := led.ByOrder(ctx, OrderSubscription+s.ID)
	if errors.Is(err, ledger.ErrNotFound) {
		return &Outcome{Outcome: Ignored, Reason: "no license of the subscription"}, nil
	}
	if err != nil {
		return nil, err
	}
	chain, err := h.chain(ctx, first)
	if err != nil {
		return nil, err
	}
	newest := chain[len(chain)-1]
	if h.st.OnCancel != policy.CancelRevoke {
		return &Outcome{Outcome: Unchanged, License: newest.ID, Order: first.OrderRef, Reason: "on_cancel = expire: the license runs to its expiry"}, nil
	}
	now := h.now()
	if err := led.States(ctx, now, chain...); err != nil {
		return nil, err
	}
	var revoke []issue.ListEntry
	for _, e := range chain {
		if e.State != nil && e.State.Revoked != nil {
			continue
		}
		le, err := issue.EntryFor(e)
		if err != nil {
			return nil, err
		}
		revoke = append(revoke, le)
	}
	if len(revoke) == 0 {
		return &Outcome{Outcome: Unchanged, License: newest.ID, Order: first.OrderRef, Reason: "revoked before"}, nil
	}
	if _, err := h.cfg.Issuer.Revoke(ctx, &issue.RevokeRequest{Revoke: revoke, NextUpdate: now.Add(h.st.NextUpdate), Out: out}); err != nil {
		return nil, err
	}
	return &Outcome{Outcome: Revoked, License: newest.ID, Order: first.OrderRef}, nil
}

// template returns the template of the first price that [stripe.prices]
// maps; ignore is set when the prices are unknown and unknown prices are
// ignored.
func (h *Handler) template(prices []string, what string) (t *policy.Template, ignore *Outcome, err error) {
	if len(prices) == 0 {
		return nil, nil, refuse(http.StatusUnprocessableEntity, CodeNoPrice, "%s names no price (a Checkout Session: set its metadata %s to the price id)", what, MetadataPrice)
	}
	for _, p := range prices {
		if tn, ok := h.st.Prices[p]; ok {
			t, err := h.cfg.Policy.Template(tn)
			return t, nil, err
		}
	}
	list := strings.Join(prices, ", ")
	if h.st.IgnoreUnknownPrices {
		return nil, &Outcome{Outcome: Ignored, Reason: "price " + list + " is not in [stripe.prices] (unknown_price = ignore)"}, nil
	}
	return nil, nil, refuse(http.StatusInternalServerError, CodeUnknownPrice,
		"%s: price %s is not in [stripe.prices] of licet.toml: add it (price id = template) and restart; Stripe delivers the event again", what, list)
}

// subject returns the licensee of a customer.
func (h *Handler) subject(email string, customer ref, what string) (string, error) {
	if h.st.Subject == policy.SubjectCustomer {
		if customer == "" {
			return "", refuse(http.StatusUnprocessableEntity, CodeNoSubject, "%s names no customer (subject = customer)", what)
		}
		return string(customer), nil
	}
	if strings.TrimSpace(email) == "" {
		return "", refuse(http.StatusUnprocessableEntity, CodeNoSubject, "%s names no customer email (or set subject = \"customer\" in [stripe])", what)
	}
	return strings.TrimSpace(email), nil
}

// mint issues a license from t for sub under order; an order issued
// before with the same terms is unchanged.
func (h *Handler) mint(ctx context.Context, t *policy.Template, sub, order string) (*Outcome, error) {
	led := h.cfg.Issuer.Ledger
	if e, err := led.ByOrder(ctx, order); err == nil {
		return h.minted(e, t, sub, order)
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return nil, err
	}
	lic := t.License(sub, h.now())
	res, err := h.cfg.Issuer.License(ctx, &issue.LicenseRequest{
		License: lic, Order: order, Out: out,
		AskedAt: func(at time.Time) (*token.License, error) { return t.License(sub, at), nil },
	})
	if dup := (*ledger.DuplicateError)(nil); errors.As(err, &dup) {
		// Another delivery recorded the order meanwhile (the unique
		// index's error names no entry: look it up).
		if e, err := led.ByOrder(ctx, order); err == nil {
			return h.minted(e, t, sub, order)
		}
	}
	if err != nil {
		return nil, err
	}
	o := &Outcome{Outcome: Minted, License: res.Entry.ID, Order: order}
	if res.Existing {
		o.Outcome, o.Reason = Unchanged, "the order is recorded"
	}
	return o, nil
}

// minted compares the license recorded for order with the terms of t for
// sub: the same terms are unchanged, others an order conflict. The expiry
// may differ by the second between the clock reading the terms were
// computed at and the issuer's.
func (h *Handler) minted(e *ledger.Entry, t *policy.Template, sub, order string) (*Outcome, error) {
	asked := t.License(sub, e.IssuedAt)
	if d := e.Expiry.Sub(asked.Expiry); !asked.Expiry.IsZero() && d >= -time.Second && d <= time.Second {
		asked.Expiry = e.Expiry
	}
	if diffs := issue.Differences(e, asked, ""); len(diffs) > 0 {
		return nil, &Error{Status: http.StatusConflict, Code: CodeOrderConflict, Err: &issue.ConflictError{Order: order, Existing: e, Differences: diffs}}
	}
	return &Outcome{Outcome: Unchanged, License: e.ID, Order: order, Reason: "the order is recorded"}, nil
}

// chain returns first and its renewals, newest last (following the
// newest renewal of each).
func (h *Handler) chain(ctx context.Context, first *ledger.Entry) ([]*ledger.Entry, error) {
	out := []*ledger.Entry{first}
	for e := first; len(out) < maxRenewals; {
		next, err := h.cfg.Issuer.Ledger.List(ctx, ledger.Filter{Kind: ledger.KindLicense, RenewedFrom: e.ID})
		if err != nil {
			return nil, err
		}
		if len(next) == 0 {
			return out, nil
		}
		// A license renewed twice (by hand as well): every renewal
		// belongs to the subscription; the newest goes on.
		out = append(out, next[:len(next)-1]...)
		e = next[len(next)-1]
		out = append(out, e)
	}
	return nil, fmt.Errorf("billing: more than %d renewals of %s", maxRenewals, first.ID)
}

// newest returns the newest renewal of first (first itself for none).
func (h *Handler) newest(ctx context.Context, first *ledger.Entry) (*ledger.Entry, error) {
	c, err := h.chain(ctx, first)
	if err != nil {
		return nil, err
	}
	return c[len(c)-1], nil
}
