package main

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/licet/licet/billing"
	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/policy"
)

// serveStripe registers the Stripe webhook endpoint (POST
// /v1/stripe/webhook, package billing) on hs when the policy file at
// path has a [stripe] table. Its event table's connection closes with
// the process.
func serveStripe(hs *httpserve.Server, pol *policy.Policy, path, loc string, is *issue.Issuer, log *slog.Logger) error {
	if pol == nil || pol.Stripe == nil {
		return nil
	}
	ctx := context.Background()
	secrets, err := billing.LoadSecrets(pol.Stripe, path)
	if err != nil {
		msg := errors.New(strings.TrimPrefix(err.Error(), "billing: "))
		if errors.Is(err, fs.ErrNotExist) {
			return ioError(msg, "put the Stripe endpoint's signing secret (whsec_..., from the Stripe dashboard) in that file, mode 600")
		}
		return failure(msg, "the [stripe] table of the policy file names the secret file; see 'go doc github.com/licet/licet/billing'")
	}
	events, err := billing.OpenEvents(ctx, loc)
	if err != nil {
		return ioError(err, ledgerHint)
	}
	h, err := billing.New(billing.Config{Issuer: is, Policy: pol, Secrets: secrets, Events: events, Logger: log, Actor: "stripe"})
	if err != nil {
		events.Close()
		return failure(err, "")
	}
	hs.Mux().Handle(billing.Route, h)
	log.Info("stripe webhook endpoint", "route", billing.Route, "prices", len(pol.Stripe.Prices), "on_cancel", pol.Stripe.OnCancel)
	return nil
}
