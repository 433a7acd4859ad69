package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/webhook"
	"github.com/spf13/cobra"
)

// newServeWebhooksCmd returns 'webhooks': the deliveries of the events
// that 'licet serve' posts to the webhooks of licet.toml and the API.
func newServeWebhooksCmd(a *app) *cobra.Command {
	cmd := groupCmd("webhooks", "List webhook deliveries and retry parked ones",
		"  licet serve webhooks list --ledger acme.db\n  licet serve webhooks retry --ledger acme.db msg_4f1c...\n  licet serve webhooks retry --ledger acme.db --all")
	cmd.Long = `Every license issued, renewed or revoked, grant issued, report ingested and
license entering an expiry window (30, 7, 1 days) is an event in the
ledger, written in the same transaction as the change. 'licet serve' posts
each event to the webhooks that want it, signed as the Standard Webhooks
specification says, and tries again with a growing wait when an endpoint
fails; after 8 failed attempts the delivery is parked. 'list' shows the
deliveries waiting and parked; 'retry' puts parked ones back in the queue
(a running server sends them within seconds).`
	cmd.AddCommand(newServeWebhooksListCmd(a), newServeWebhooksRetryCmd(a))
	return cmd
}

// deliveryJSON is a delivery in the JSON output of 'webhooks list'.
type deliveryJSON struct {
	Event        string  `json:"event"`
	Type         string  `json:"type"`
	Subject      string  `json:"subject"`
	Created      string  `json:"created"`
	Subscription string  `json:"subscription"`
	URL          string  `json:"url"`
	State        string  `json:"state"`
	Attempts     int     `json:"attempts"`
	NextAttempt  *string `json:"next_attempt"`
	LastStatus   int     `json:"last_status"`
	LastError    string  `json:"last_error"`
}

func newServeWebhooksListCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var state string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--state pending|parked|delivered|all] [--json]",
		Short: "List webhook deliveries (default: pending and parked)",
		Long: `List the webhook deliveries of the ledger, soonest due first: by default
those waiting (pending, with the time of their next attempt) and those
parked after too many failures, with the endpoint's last answer.`,
		Example: "  licet serve webhooks list --ledger acme.db\n  licet serve webhooks list --ledger postgres://licet@db/licet --state parked --json",
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			var states []string
			switch state {
			case "":
				states = []string{outbox.DeliveryPending, outbox.DeliveryParked}
			case outbox.DeliveryPending, outbox.DeliveryParked, outbox.DeliveryDelivered:
				states = []string{state}
			case "all":
				states = []string{""}
			default:
				return usageError("", "--state %q: use pending, parked, delivered or all", state)
			}
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			var list []*outbox.Delivery
			for _, s := range states {
				ds, err := led.Outbox().Deliveries(context.Background(), outbox.DeliveryFilter{State: s, Limit: limit})
				if err != nil {
					return ioError(err, ledgerHint)
				}
				list = append(list, ds...)
			}
			return a.printDeliveries(list, asJSON)
		}),
	}
	lf.add(cmd)
	cmd.Flags().StringVar(&state, "state", "", "only deliveries in `STATE`: pending, parked, delivered or all (default: pending and parked)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most `N` deliveries of each state")
	return cmd
}

// endpoint returns a delivery's URL without its query and user
// information (which may hold secrets), for listings.
func endpoint(d *outbox.Delivery) string {
	if d.Subscription == nil {
		return "(subscription deleted)"
	}
	u, err := url.Parse(d.Subscription.URL)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

func (a *app) printDeliveries(list []*outbox.Delivery, asJSON bool) error {
	if asJSON {
		out := make([]deliveryJSON, 0, len(list))
		for _, d := range list {
			j := deliveryJSON{Event: d.Event.ID, Type: d.Event.Type, Subject: d.Event.Subject, Created: d.Event.Created.Format(time.RFC3339),
				Subscription: d.SubscriptionID, URL: endpoint(d), State: d.State, Attempts: d.Attempts, LastStatus: d.LastStatus, LastError: d.LastError}
			if d.State == outbox.DeliveryPending {
				s := d.NextAt.Format(time.RFC3339)
				j.NextAttempt = &s
			}
			out = append(out, j)
		}
		return writeJSON(a.stdout, out)
	}
	if len(list) == 0 {
		fmt.Fprintln(a.stderr, "licet: no deliveries match")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT\tTYPE\tSUBJECT\tSUBSCRIPTION\tURL\tSTATE\tATTEMPTS\tNEXT\tLAST ERROR")
	for _, d := range list {
		next := "-"
		if d.State == outbox.DeliveryPending {
			next = d.NextAt.UTC().Format(time.RFC3339)
		}
		lastErr := d.LastError
		if lastErr == "" {
			lastErr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.Event.ID, d.Event.Type, d.Event.Subject, d.SubscriptionID,
			endpoint(d), d.State, d.Attempts, next, escapeControl(lastErr))
	}
	return tw.Flush()
}

// escapeControl quotes a text from outside (an endpoint's error) when it
// holds control characters, so it cannot rewrite the terminal.
func escapeControl(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }) {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func newServeWebhooksRetryCmd(a *app) *cobra.Command {
	var lf ledgerCmdFlags
	var all bool
	var sub string
	cmd := &cobra.Command{
		Use:   "retry (EVENT_ID... | --all) [--subscription ID]",
		Short: "Put parked webhook deliveries back in the queue",
		Long: `Put parked deliveries back in the queue, due now with their attempts counted
from zero: those of the events named (every parked one with --all), of the
subscription --subscription only when given. A running 'licet serve' sends
them within seconds, with the same webhook-id, so receivers that already
processed one recognise it.`,
		Example: "  licet serve webhooks retry --ledger acme.db msg_4f1c0a...\n  licet serve webhooks retry --ledger acme.db --all --subscription config:crm",
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return usageError("", "give event ids or --all, not both")
			case !all && len(args) == 0:
				return usageError("see 'licet serve webhooks list --state parked'", "name the events to retry, or give --all")
			}
			led, err := a.openLedgerOf(&lf)
			if err != nil {
				return err
			}
			defer led.Close()
			ctx := context.Background()
			if all {
				args = []string{""}
			}
			total := 0
			var missing []string
			for _, id := range args {
				n, err := led.Outbox().RetryDeliveries(ctx, a.now(), strings.TrimSpace(id), sub)
				if err != nil {
					return ioError(err, ledgerHint)
				}
				if n == 0 && id != "" {
					missing = append(missing, id)
				}
				total += n
			}
			fmt.Fprintf(a.stdout, "re-queued %d parked %s\n", total, plural(total, "delivery", "deliveries"))
			if len(missing) > 0 {
				return failure(fmt.Errorf("no parked delivery of %s", strings.Join(missing, ", ")), "see 'licet serve webhooks list --state parked'")
			}
			return nil
		}),
	}
	lf.add(cmd)
	cmd.Flags().BoolVar(&all, "all", false, "retry every parked delivery")
	cmd.Flags().StringVar(&sub, "subscription", "", "only the deliveries to subscription `ID` (config:NAME or sub_...)")
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// webhookTestHook, when set (by the test binary only), adjusts the
// dispatcher of 'licet serve': deliveries to the loopback receivers of
// the tests.
var webhookTestHook func(d *webhook.Dispatcher)

// webhookDispatcher makes the stored subscriptions of licet.toml those of
// pol (none without a policy) and returns the dispatcher of 'licet serve'.
func (a *app) webhookDispatcher(led *ledger.Ledger, pol *policy.Policy, log *slog.Logger) (*webhook.Dispatcher, error) {
	var hooks []*policy.Webhook
	if pol != nil {
		hooks = pol.Webhooks
	}
	if err := webhook.ConfigSubscriptions(context.Background(), led, hooks, a.lookupEnv); err != nil {
		return nil, failure(err, "check the [[webhooks]] of licet.toml and the secrets they reference")
	}
	d := &webhook.Dispatcher{Ledger: led, LookupEnv: a.lookupEnv, Now: a.now, Log: log}
	if webhookTestHook != nil {
		webhookTestHook(d)
	}
	return d, nil
}

// listenWithWebhooks makes the subscriptions of licet.toml the stored
// ones, then listens: a webhook whose secret does not resolve stops the
// server before it listens.
func (a *app) listenWithWebhooks(hs *httpserve.Server, led *ledger.Ledger, pol *policy.Policy, log *slog.Logger) (net.Listener, *webhook.Dispatcher, error) {
	d, err := a.webhookDispatcher(led, pol, log)
	if err != nil {
		return nil, nil, err
	}
	ln, err := hs.Listen()
	if err != nil {
		return nil, nil, ioError(errors.New(strings.TrimPrefix(err.Error(), "httpserve: ")), "")
	}
	return ln, d, nil
}

// runWebhooks runs d until ctx ends; the function it returns ends it (if
// ctx has not) and waits until it has drained.
func runWebhooks(ctx context.Context, d *webhook.Dispatcher) (wait func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
