package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type renewFlags struct {
	key, ledger, expires, format, prefix, out, order string
	tier, template, policy                           string
	limits, scopes                                   []string
	days                                             int
	force, json, again, noRotation                   bool
}

func newRenewCmd(a *app) *cobra.Command {
	var fl renewFlags
	cmd := &cobra.Command{
		Use:   "renew (ID | ORDER) --key FILE (--days N | --expires DATE) [--tier T] [--limit NAME=N]... [--scope S]... [--template NAME] [-o FILE] [--json]",
		Short: "Renew a license from the ledger: new expiry, new id, same or changed terms",
		Long: `Sign a new license with the terms of a license in the ledger (its licensee,
products, tier, scopes, versions, limits, rights, binding, grace and
metadata, and the grant it was issued under), a new id and a new expiry.
The ledger links the new license to the old one (renewed_from), and 'licet
ledger expiring' stops listing the old one.

The license is named by its id (6 or more leading digits will do) or by the
order reference it was sold under ('licet renew PO-3017'); an order whose
license was renewed before names the latest renewal.

Terms may change at renewal (an upsell): --tier T, --limit NAME=N (name by
name), --scope S (replaces the scopes), --template NAME (the template's
terms, then the flags). The renewal is recorded like any other.

--days N counts from the old expiry while it is ahead (renewing early loses
no day), else from now; with --template and neither --days nor --expires,
the template's days. The key must be one of the license's issuer (after
'licet keys rotate', the new key: the rotation grant is attached on its
own; under a grant, the partner key the grant names). A license already
renewed is refused unless --again. --order REF records the renewal's order:
run again with the same terms, it returns the recorded renewal.`,
		Example: `  licet renew 8f26dbc27843c7fcaaae0e22d8e7e7a2 --key acme.key --days 365 -o customer-42-2027.lic
  licet renew PO-3017 --key acme.key --days 365 --order PO-4410 -o customer-42-2027.lic
  licet renew PO-3017 --key acme.key --days 365 --tier enterprise --limit seats=100
  licet renew 8f26dbc2 --key acme.key --expires 2028-06-30 --json
  licet renew 8f26dbc2 --key globex.key --days 90   # a partner renews under its grant`,
		Args: cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.renew(cmd, args[0], &fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "private key `FILE` that signs (required)")
	f.IntVar(&fl.days, "days", 0, "the new license runs `N` days from the old expiry (or from now, when it has passed)")
	f.StringVar(&fl.expires, "expires", "", "the new expiry `DATE`")
	f.StringVar(&fl.tier, "tier", "", "change the tier to `T`")
	f.StringArrayVar(&fl.limits, "limit", nil, "set the limit `NAME=N` (repeatable; other limits are kept)")
	f.StringArrayVar(&fl.scopes, "scope", nil, "the renewal's scopes: `S` (repeatable; replaces the old scopes)")
	f.StringVar(&fl.template, "template", "", "take the terms of template `NAME` of the policy file (flags override)")
	f.StringVar(&fl.policy, "policy", "", policyFlagUsage)
	f.StringVar(&fl.order, "order", "", "order reference `REF` of the renewal (unique in the ledger)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVar(&fl.prefix, "prefix", "", "prefix `P` of the text form (default licet1)")
	f.StringVar(&fl.format, "format", "text", "output `FORM`: text, pem or raw")
	f.StringVarP(&fl.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.BoolVar(&fl.json, "json", false, "print the id, file, expiry and ledger index as JSON (the token too, without -o)")
	f.BoolVar(&fl.again, "again", false, "renew a license that was already renewed")
	f.BoolVar(&fl.noRotation, "no-rotation-grant", false, noRotationUsage)
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

// renewExpiry checks --days and --expires (or the template's days) and
// returns the new expiry.
func renewExpiry(cmd *cobra.Command, fl *renewFlags, t *policy.Template, e *ledger.Entry, now time.Time) (time.Time, error) {
	days := cmd.Flags().Changed("days")
	n := fl.days
	switch {
	case days && fl.expires != "":
		return time.Time{}, usageError("for example: --days 365", "say when the new license ends: one of --days N and --expires DATE")
	case !days && fl.expires == "" && t != nil && t.Days > 0:
		n = t.Days
	case !days && fl.expires == "":
		return time.Time{}, usageError("for example: --days 365", "say when the new license ends: one of --days N and --expires DATE")
	case days && (fl.days < 1 || fl.days > 100*366):
		return time.Time{}, usageError("", "--days %d: give a number of days from 1 to 36600", fl.days)
	case !days:
		t, err := parseDate(fl.expires, false, now)
		if err != nil {
			return time.Time{}, usageError("", "--expires %v", err)
		}
		return t, nil
	}
	return issue.RenewalStart(e, now).Add(time.Duration(n) * 24 * time.Hour), nil
}

// renewTemplate loads --template, when given.
func (a *app) renewTemplate(fl *renewFlags) (*policy.Template, error) {
	if fl.template == "" {
		return nil, nil
	}
	p, err := loadPolicy(a.policyLocation(fl.policy, fl.key))
	if err != nil {
		return nil, err
	}
	t, err := p.Template(fl.template)
	if err != nil {
		return nil, usageError(templateHint(fl.policy, fl.key), "--template %s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	return t, nil
}

// renewChange returns the change of terms that --template, --tier,
// --limit and --scope ask for (nil for none), or the problems of those
// flags.
func renewChange(t *policy.Template, fl *renewFlags) (func(*token.License) error, []string) {
	var problems []string
	limits, p := parseLimits("limit", fl.limits)
	problems = append(problems, p...)
	problems = append(problems, checkScopes("scope", fl.scopes)...)
	if fl.tier != "" && strings.TrimSpace(fl.tier) == "" {
		problems = append(problems, "--tier is empty")
	}
	if t == nil && fl.tier == "" && len(limits) == 0 && fl.scopes == nil {
		return nil, problems
	}
	return func(l *token.License) error {
		if t != nil {
			tl := t.License(l.Subject, l.IssuedAt)
			l.Audience, l.Tier, l.Scopes, l.Versions, l.Rights = tl.Audience, tl.Tier, tl.Scopes, tl.Versions, tl.Rights
			l.Limits, l.Meta, l.Grace = tl.Limits, mergeMeta(l.Meta, tl.Meta), tl.Grace
		}
		if fl.tier != "" {
			l.Tier = fl.tier
		}
		if len(limits) > 0 {
			merged := make(map[string]uint64, len(l.Limits)+len(limits))
			for k, v := range l.Limits {
				merged[k] = v
			}
			for k, v := range limits {
				merged[k] = v
			}
			l.Limits = merged
		}
		if fl.scopes != nil {
			l.Scopes = slices.Clone(fl.scopes)
		}
		return nil
	}, problems
}

// mergeMeta keeps the old metadata (an order number, a CRM id) and takes
// the template's on top.
func mergeMeta(old, t map[string]string) map[string]string {
	if len(old) == 0 && len(t) == 0 {
		return nil
	}
	m := make(map[string]string, len(old)+len(t))
	for k, v := range old {
		m[k] = v
	}
	for k, v := range t {
		m[k] = v
	}
	return m
}

func (a *app) renew(cmd *cobra.Command, ref string, fl *renewFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	const what = "cannot renew, nothing was signed"
	t, err := a.renewTemplate(fl)
	if err != nil {
		return err
	}
	change, problems := renewChange(t, fl)
	problems = append(problems, checkOutputFlags(fl.format, fl.prefix, cmd.Flags().Changed("prefix"))...)
	problems = append(problems, checkOrder("order", fl.order, cmd.Flags().Changed("order"))...)
	if len(problems) > 0 {
		return problemsError(what, problems, "see 'licet renew --help'")
	}
	if _, err := renewExpiry(cmd, fl, t, &ledger.Entry{}, now); err != nil {
		return err // the flags alone are wrong
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	if err := a.checkIssueOutput(led, fl.order, fl.out, fl.format, fl.force, fl.json); err != nil {
		return err
	}
	old, err := a.renewedEntry(led, ref, a.retriedFrom(led, fl.order))
	if err != nil {
		return err
	}
	if err := checkRenewable(led, old, fl.again || a.isRetry(led, fl.order, old)); err != nil {
		return err
	}
	expiry, err := renewExpiry(cmd, fl, t, old, now)
	if err != nil {
		return err
	}
	if old.Issuer != info.Public.Issuer {
		return failure(fmt.Errorf("%s is a license of issuer %q; %s is a key of %q", old.ID, old.Issuer, fl.key, info.Public.Issuer),
			"renew with a key of the license's issuer")
	}
	is := a.newIssuer(fl.key, data, info, led, fl.format, fl.json, now)
	r, err := is.Renew(context.Background(), &issue.RenewRequest{
		Old: old, Expiry: expiry, Change: change, Order: fl.order, NoRotationGrant: fl.noRotation,
		Out: a.licenseOut(fl.out, fl.force, fl.format, fl.prefix),
	})
	if err != nil {
		return renewError(err, led, old, fl.key)
	}
	return a.issued(r, led, fl.format, fl.json, fmt.Sprintf("license %s (renews %s, expires %s)", r.Entry.ID, old.ID, rfc3339(r.Entry.Expiry)))
}

// renewError explains an error of issue.Renew.
func renewError(err error, led *ledger.Ledger, old *ledger.Entry, keyPath string) error {
	var ge *issue.GrantViolationError
	if errors.As(err, &ge) || strings.Contains(err.Error(), "not for the signing key") {
		if !errors.As(err, &ge) {
			return failure(fmt.Errorf("cannot renew %s: %s", old.ID, strings.TrimPrefix(err.Error(), "issue: ")), "renew with the partner key the grant names ('licet ledger show "+old.ID+"')")
		}
		return issueError(err, led, "")
	}
	var ue *issue.UnwrittenError
	var ce *issue.ConflictError
	var ee *exitError
	if errors.As(err, &ue) || errors.As(err, &ce) || errors.As(err, &ee) {
		return issueError(err, led, "cannot renew, nothing was signed")
	}
	return issueError(fmt.Errorf("cannot renew %s: %s", old.ID, strings.TrimPrefix(err.Error(), "issue: ")), led, "cannot renew, nothing was signed")
}

// retriedFrom returns the license that order renews when it is recorded
// as a renewal (a retry), "" otherwise.
func (a *app) retriedFrom(led *ledger.Ledger, order string) string {
	if order == "" {
		return ""
	}
	e, err := led.ByOrder(context.Background(), order)
	if err != nil {
		return ""
	}
	return e.RenewedFrom
}

// isRetry reports whether order is already recorded as a renewal of old:
// a retry, which --again need not allow.
func (a *app) isRetry(led *ledger.Ledger, order string, old *ledger.Entry) bool {
	if order == "" {
		return false
	}
	e, err := led.ByOrder(context.Background(), order)
	return err == nil && e.RenewedFrom == old.ID
}

// renewedEntry finds the license to renew: by id (or id prefix), else by
// order reference, following the renewals of that order's license to the
// latest, or to stopAt (the license that a retried renewal renews).
func (a *app) renewedEntry(led *ledger.Ledger, ref, stopAt string) (*ledger.Entry, error) {
	ctx := context.Background()
	e, err := led.Get(ctx, ref)
	var ae *ledger.AmbiguousError
	switch {
	case err == nil:
		return e, nil
	case errors.As(err, &ae):
		return nil, usageError("give more digits of the id", "%s", strings.TrimPrefix(err.Error(), "ledger: "))
	case !errors.Is(err, ledger.ErrNotFound) && !strings.Contains(err.Error(), "not an id"):
		return nil, failure(err, "")
	}
	e, err = led.ByOrder(ctx, ref)
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return nil, failure(fmt.Errorf("%s: no license with this id or order reference in the ledger %s", ref, led.Location()), "'licet ledger list' shows the ids and orders")
	case err != nil:
		return nil, failure(err, "")
	}
	for range 1000 { // a renewal chain; the bound only stops a tampered cycle
		if e.ID == stopAt {
			break
		}
		later, err := led.List(ctx, ledger.Filter{RenewedFrom: e.ID})
		if err != nil {
			return nil, failure(err, "")
		}
		if len(later) == 0 {
			break
		}
		fmt.Fprintf(a.stderr, "licet: order %s: license %s was renewed by %s\n", ref, e.ID, later[len(later)-1].ID)
		e = later[len(later)-1]
	}
	return e, nil
}

// checkRenewable refuses a license already renewed, unless again.
func checkRenewable(led *ledger.Ledger, old *ledger.Entry, again bool) error {
	if old.Kind != ledger.KindLicense {
		return failure(fmt.Errorf("%s is a %s, not a license: only licenses are renewed", old.ID, old.Kind), "")
	}
	if again {
		return nil
	}
	later, err := led.List(context.Background(), ledger.Filter{RenewedFrom: old.ID, Limit: 1})
	if err != nil {
		return failure(err, "")
	}
	if len(later) > 0 {
		return failure(fmt.Errorf("%s was already renewed by %s (expires %s)", old.ID, later[0].ID, formatExpiry(later[0].Expiry)),
			"renew "+later[0].ID+" instead, or pass --again to renew this one once more")
	}
	return nil
}
