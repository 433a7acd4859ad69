package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type renewFlags struct {
	key, ledger, expires, format, prefix, out, order string
	days                                             int
	force, json, again                               bool
}

func newRenewCmd(a *app) *cobra.Command {
	var fl renewFlags
	cmd := &cobra.Command{
		Use:   "renew ID --key FILE (--days N | --expires DATE) [-o FILE] [--json]",
		Short: "Renew a license from the ledger: same terms, new expiry, new id",
		Long: `Sign a new license with the same terms as license ID in the ledger (its
licensee, products, tier, scopes, versions, limits, rights, binding, grace
and metadata, and the grant it was issued under), a new id and a new expiry.
The ledger links the new license to the old one, and 'licet ledger expiring'
stops listing the old one.

--days N counts from the old expiry while it is ahead (renewing early loses
no day), else from now. ID may be 6 or more leading digits of the id.
The key must be one of the license's issuer (after a key rotation, the new
key of the same issuer will do; under a grant, the partner key the grant
names). A license already renewed is refused unless --again.`,
		Example: `  licet renew 8f26dbc27843c7fcaaae0e22d8e7e7a2 --key acme.key --days 365 -o customer-42-2027.lic
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
	f.StringVar(&fl.order, "order", "", "order reference `REF` of the renewal (unique in the ledger)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVar(&fl.prefix, "prefix", "", "prefix `P` of the text form (default licet1)")
	f.StringVar(&fl.format, "format", "text", "output `FORM`: text, pem or raw")
	f.StringVarP(&fl.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.BoolVar(&fl.json, "json", false, "print the id, file, expiry and ledger index as JSON (the token too, without -o)")
	f.BoolVar(&fl.again, "again", false, "renew a license that was already renewed")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

// renewExpiry checks --days and --expires and returns the new expiry.
func renewExpiry(cmd *cobra.Command, fl *renewFlags, e *ledger.Entry, now time.Time) (time.Time, error) {
	days := cmd.Flags().Changed("days")
	switch {
	case days == (fl.expires != ""):
		return time.Time{}, usageError("for example: --days 365", "say when the new license ends: one of --days N and --expires DATE")
	case days && (fl.days < 1 || fl.days > 100*366):
		return time.Time{}, usageError("", "--days %d: give a number of days from 1 to 36600", fl.days)
	case days:
		return ledger.RenewalStart(e, now).Add(time.Duration(fl.days) * 24 * time.Hour), nil
	}
	t, err := parseDate(fl.expires, false, now)
	if err != nil {
		return time.Time{}, usageError("", "--expires %v", err)
	}
	return t, nil
}

func (a *app) renew(cmd *cobra.Command, id string, fl *renewFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	if p := append(checkOutputFlags(fl.format, fl.prefix, cmd.Flags().Changed("prefix")), checkOrder("order", fl.order, cmd.Flags().Changed("order"))...); len(p) > 0 {
		return problemsError("cannot renew, nothing was signed", p, "see 'licet renew --help'")
	}
	if _, err := renewExpiry(cmd, fl, &ledger.Entry{}, now); err != nil {
		return err // the flags alone are wrong
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	if err := a.checkOutput(fl.out, fl.format, fl.force, fl.json); err != nil {
		return err
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	old, err := getEntry(led, id)
	if err != nil {
		return err
	}
	if err := checkRenewable(led, old, fl.again); err != nil {
		return err
	}
	expiry, err := renewExpiry(cmd, fl, old, now)
	if err != nil {
		return err
	}
	lic, grantRaw, err := ledger.Renewal(old, now, expiry)
	if err != nil {
		return failure(fmt.Errorf("cannot renew %s: %s", old.ID, strings.TrimPrefix(err.Error(), "ledger: ")), "")
	}
	var g *token.Grant
	if grantRaw != nil {
		m, err := token.ParseMessage(grantRaw)
		if err == nil {
			g, err = token.DecodeGrant(m.Payload)
		}
		if err != nil {
			return failure(fmt.Errorf("cannot renew %s: its grant: %v", old.ID, err), "run 'licet ledger verify': the ledger may have been modified")
		}
	}
	if lic.Issuer != info.Public.Issuer {
		return failure(fmt.Errorf("%s is a license of issuer %q; %s is a key of %q", old.ID, lic.Issuer, fl.key, info.Public.Issuer),
			"renew with a key of the license's issuer")
	}
	if err := checkGrant("its grant", fl.key, g, lic, info.Public.Key, info.Public.KeyID()); err != nil {
		return err
	}
	if err := checkOrderFree(led, fl.order); err != nil {
		return err
	}
	key, err := a.unlockKey(fl.key, data, info)
	if err != nil {
		return err
	}
	raw, err := token.SignLicense(key.Signer(), lic, grantRaw)
	if err != nil {
		return failure(err, "")
	}
	_, err = a.issue(led, &issuance{
		raw: raw, pub: info.Public.Key, signer: key.Signer(), pemType: token.PEMLicense, headers: licenseHeaders(lic, g),
		format: fl.format, prefix: fl.prefix, out: fl.out, force: fl.force, json: fl.json,
		what: fmt.Sprintf("license %x (renews %s, expires %s)", lic.ID, old.ID, rfc3339(lic.Expiry)), order: fl.order, renewedFrom: old.ID,
	})
	return err
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
