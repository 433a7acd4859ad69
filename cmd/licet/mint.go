package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"github.com/spf13/cobra"
)

type mintFlags struct {
	key, sub, tier, versions, grant         string
	fromRequest                             string
	expires, notBefore, grace               string
	prefix, format, out                     string
	ledger, order, template, policy         string
	days                                    int
	perpetual, force, json, noRotation      bool
	aud, scopes, limits, rights, bind, meta []string
	perpetualFallback                       bool
}

func newMintCmd(a *app) *cobra.Command {
	fl := &mintFlags{}
	cmd := &cobra.Command{
		Use:   "mint --key FILE --sub ID (--aud PRODUCT | --from-request FILE) --tier T (--expires DATE | --days N | --perpetual) [flags]",
		Short: "Sign a license",
		Long: `Sign a license with a private key. The license names its licensee (--sub),
the products it is for (--aud, repeatable), a tier, and optionally scopes,
a product version constraint, numeric limits, contract rights, a machine
binding and vendor metadata. Every input is checked before anything is
signed, and every problem is reported at once.

DATE is YYYY-MM-DD (the end of that day, UTC; for --not-before its start),
RFC 3339, unix seconds, or a DURATION from now. DURATION is a number and a
unit: 90d, 36h, 15m, 1d12h.
The version constraint uses hashicorp/go-version syntax (">= 2.0, < 4.0").

The license goes to stdout, or to -o FILE (never overwritten without
--force), in the text form (licet1.xxx, the default, as for renew and
batch), PEM, or raw bytes.
The passphrase of an encrypted key comes from --passphrase-file (its first
line), LICET_PASSPHRASE or a prompt.

A partner mints with its own key under the vendor's grant (--grant FILE):
the grant is embedded in the license, and anything outside it (product,
tier, scopes, capped limits, rights, expiry, life) is refused before
signing, every violation listed.

Offline activation (--from-request FILE): the activation request that
'licet activate request' wrote on the customer's machine binds the license
to that machine. The request's product becomes the aud (--aud may be left
out; if given, it must name that product), and the request's machine
fingerprint is added to the bind claim as host=FINGERPRINT (a different
--bind host=... is refused). A request that is not one, or was modified,
is refused (exit 1), naming the file.

Records: every license is recorded in the issuer's ledger before its file is
written (--ledger FILE or postgres:// URL, LICET_LEDGER, default licet.db
beside the key; see 'licet ledger'), with --order REF, an order reference
that is issued only once: run again with the same terms (a retry), mint
returns the recorded license (exit 0, "existing": true in --json, written
again where -o asks); other terms are refused, each difference listed
(recorded vs asked). --json prints the id, file, expiry and ledger index
(and the token itself without -o).

Key rotation: after 'licet keys rotate', the new key's licenses carry the
rotation grant on their own while the rotation runs, so that products that
trust only the old key accept them (--no-rotation-grant to sign without).

Templates: --template NAME fills the terms from the policy file (--policy,
LICET_POLICY, default licet.toml beside the key; see 'licet template');
flags given override it, --limit and --meta name by name.`,
		Example: `  licet mint --key acme.key --sub customer-42 --aud acme-db --tier pro --days 365
  licet mint --key acme.key --sub customer-42 --aud acme-db --aud acme-cli --tier enterprise \
      --scope api:read --scope 'reports:*' --versions '>= 2.0, < 4.0' \
      --limit seats=25 --right embed --bind host=3f2a9c --meta order=PO-1187 \
      --expires 2027-06-30 --grace 30d --format pem -o customer-42.lic
  licet mint --key acme.key --sub lab --aud acme-db --tier trial --perpetual --prefix acme
  licet mint --key globex.key --grant globex.grant --sub customer-9 --aud acme-db --tier pro \
      --scope api:read --limit seats=10 --days 365
  licet mint --key acme.key --from-request req.json --sub customer-42 --tier pro --days 365 -o customer-42.lic
  licet mint --key acme.key --template pro --sub customer-43 --order PO-1188 --json -o customer-43.lic`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.mint(cmd, fl)
		}),
	}
	addMintFlags(cmd, fl)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

// addMintFlags defines the flags of mint.
func addMintFlags(cmd *cobra.Command, fl *mintFlags) {
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "private key `FILE` that signs (required)")
	f.StringVar(&fl.sub, "sub", "", "licensee `ID`: customer or account id (required)")
	f.StringArrayVar(&fl.aud, "aud", nil, "`PRODUCT` id the license is for (required, repeatable)")
	f.StringVar(&fl.tier, "tier", "", "tier name `T` (required)")
	f.StringArrayVar(&fl.scopes, "scope", nil, "granted scope `S` such as api:read or 'reports:*' (repeatable)")
	f.StringVar(&fl.versions, "versions", "", "product version constraint `C`, e.g. '>= 2.0, < 4.0'")
	f.StringArrayVar(&fl.limits, "limit", nil, "numeric limit `NAME=N`, e.g. seats=25 (repeatable)")
	f.StringArrayVar(&fl.rights, "right", nil, "contract right `R`, e.g. embed (repeatable)")
	f.StringArrayVar(&fl.bind, "bind", nil, "machine binding `KEY=VALUE`, e.g. host=3f2a9c (repeatable)")
	f.StringArrayVar(&fl.meta, "meta", nil, "vendor metadata `KEY=VALUE`, never interpreted (repeatable)")
	f.StringVar(&fl.expires, "expires", "", "expiry `DATE`")
	f.IntVar(&fl.days, "days", 0, "expire `N` days from now")
	f.BoolVar(&fl.perpetual, "perpetual", false, "never expire (the version constraint still applies)")
	f.StringVar(&fl.notBefore, "not-before", "", "not valid before `DATE`")
	f.StringVar(&fl.grace, "grace", "", "after expiry, keep verifying (flagged) for `DURATION`, e.g. 30d")
	f.BoolVar(&fl.perpetualFallback, "perpetual-fallback", false, "after expiry (and grace), stay valid for product builds released by the expiry (verify --build-date)")
	f.StringVar(&fl.prefix, "prefix", "", "prefix `P` of the text form (default licet1)")
	f.StringVar(&fl.format, "format", "text", "output `FORM`: text, pem or raw")
	f.StringVarP(&fl.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.StringVar(&fl.grant, "grant", "", "partners: the vendor's grant `FILE` to mint under (embedded in the license)")
	f.StringVar(&fl.fromRequest, "from-request", "", "bind to the machine of the activation request `FILE` ('licet activate request'); its product is the aud")
	f.StringVar(&fl.template, "template", "", "fill the license's terms from template `NAME` of the policy file; flags override")
	f.StringVar(&fl.policy, "policy", "", policyFlagUsage)
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVar(&fl.order, "order", "", "order reference `REF` recorded with the license (unique in the ledger)")
	f.BoolVar(&fl.json, "json", false, "print the id, file, expiry and ledger index as JSON (the token too, without -o)")
	f.BoolVar(&fl.noRotation, "no-rotation-grant", false, noRotationUsage)
	_ = cmd.MarkFlagFilename("grant")
	_ = cmd.MarkFlagFilename("from-request", "json")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
}

func completeFormats(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"text\tcompact text licet1.xxx", "pem\tPEM file", "raw\tCOSE_Sign1 bytes"}, cobra.ShellCompDirectiveNoFileComp
}

// checkOutputFlags reports problems with --format and --prefix.
func checkOutputFlags(format, prefix string, prefixSet bool) []string {
	var problems []string
	switch format {
	case "text", "pem", "raw":
	default:
		problems = append(problems, fmt.Sprintf("--format %q: use text, pem or raw", format))
	}
	if prefixSet {
		if !token.ValidPrefix(prefix) {
			problems = append(problems, fmt.Sprintf("--prefix %q: use 1 to 32 characters of a-z, 0-9 and -", prefix))
		} else if format != "text" {
			problems = append(problems, "--prefix applies to --format text only")
		}
	}
	return problems
}

// buildLicense checks every flag and returns the license to sign, without
// issuer, or every problem found. A non-nil req is the activation request
// of --from-request, which supplies the aud and binds the license.
func (a *app) buildLicense(cmd *cobra.Command, fl *mintFlags, now time.Time, req *machine.ActivationRequest) (*token.License, []string) {
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	if fl.key == "" {
		add("--key is required: the private key file that signs")
	}
	if strings.TrimSpace(fl.sub) == "" {
		add("--sub is required: the licensee (customer or account id)")
	}
	if len(fl.aud) == 0 && req == nil {
		add("--aud is required: the product the license is for (or --from-request FILE)")
	}
	add(checkNonEmpty("aud", fl.aud)...)
	if strings.TrimSpace(fl.tier) == "" {
		add("--tier is required: the tier name")
	}
	add(checkScopes("scope", fl.scopes)...)
	add(checkNonEmpty("right", fl.rights)...)
	lic := &token.License{
		Subject:  fl.sub,
		Audience: fl.aud,
		Tier:     fl.tier,
		Scopes:   fl.scopes,
		Rights:   fl.rights,
		IssuedAt: now,
	}
	var p []string
	lic.Versions, p = parseVersions(cmd, fl.versions)
	add(p...)
	lic.Limits, p = parseLimits("limit", fl.limits)
	add(p...)
	lic.Bind, p = parsePairs("bind", fl.bind)
	add(p...)
	lic.Meta, p = parsePairs("meta", fl.meta)
	add(p...)
	if req != nil {
		add(applyRequest(lic, req, fl.fromRequest)...)
	}
	add(licenseTerm(cmd, fl, now, lic)...)
	add(checkOutputFlags(fl.format, fl.prefix, cmd.Flags().Changed("prefix"))...)
	add(checkOrder("order", fl.order, cmd.Flags().Changed("order"))...)
	return lic, problems
}

// licenseTerm reads when the license runs: one of --expires, --days and
// --perpetual, then --not-before and --grace.
func licenseTerm(cmd *cobra.Command, fl *mintFlags, now time.Time, lic *token.License) []string {
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	days := cmd.Flags().Changed("days")
	n := 0
	for _, set := range []bool{fl.expires != "", days, fl.perpetual} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		add("say when the license ends: --expires DATE, --days N or --perpetual")
	case n > 1:
		add("choose one of --expires, --days and --perpetual")
	case fl.expires != "":
		var p []string
		lic.Expiry, p = parseExpires(fl.expires, now)
		add(p...)
	case days && (fl.days < 1 || fl.days > 100*366):
		add(fmt.Sprintf("--days %d: give a number of days from 1 to 36600", fl.days))
	case days:
		lic.Expiry = now.Add(time.Duration(fl.days) * 24 * time.Hour)
	}
	var p []string
	lic.NotBefore, p = parseNotBefore(fl.notBefore, lic.Expiry, now)
	add(p...)
	if fl.grace != "" {
		d, err := parseDuration(fl.grace)
		switch {
		case err != nil:
			add("--grace " + err.Error())
		case fl.perpetual:
			add("--grace needs an expiry: a perpetual license has no grace period")
		default:
			lic.Grace = d.Truncate(time.Second)
		}
	}
	if lic.Fallback = fl.perpetualFallback; fl.perpetualFallback && fl.perpetual {
		add("--perpetual-fallback needs an expiry: a perpetual license never expires")
	}
	return problems
}

func (a *app) mint(cmd *cobra.Command, fl *mintFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	if err := a.applyTemplateFlag(cmd, fl.template, fl.policy, fl.key); err != nil {
		return err
	}
	var req *machine.ActivationRequest
	if fl.fromRequest != "" {
		var err error
		if req, err = readRequest(fl.fromRequest); err != nil {
			return err
		}
	}
	lic, problems := a.buildLicense(cmd, fl, now, req)
	const hint = "see 'licet mint --help'"
	if len(problems) > 0 {
		return problemsError("cannot mint, nothing was signed", problems, hint)
	}
	if req != nil && len(lic.Audience) > 1 {
		a.warn("the machine fingerprint of %s is for %s only: on that machine %s computes another fingerprint and refuses this license (binding_mismatch); mint one license per product, each from its own request",
			fl.fromRequest, safeText(req.Product), safeList(slices.DeleteFunc(slices.Clone(lic.Audience), func(p string) bool { return p == req.Product })))
	}
	if fl.format == "raw" && fl.out == "" && a.stdoutTerminal() {
		return usageError("write it to a file with -o FILE, or choose --format text or pem", "not writing raw bytes to a terminal")
	}
	var grantRaw []byte
	var g *token.Grant
	if fl.grant != "" {
		var err error
		if grantRaw, g, err = readGrant(fl.grant); err != nil {
			return err
		}
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	check := *lic
	check.Issuer, check.ID = info.Public.Issuer, make([]byte, token.IDSize)
	if err := check.Validate(); err != nil {
		return problemsError("cannot mint, nothing was signed", validationProblems(err), hint)
	}
	if err := checkGrant(fl.grant, fl.key, g, &check, info.Public.Key, info.Public.KeyID()); err != nil {
		return err
	}
	led, err := a.openForIssue(a.ledgerLocation(fl.ledger, fl.key), fl.order, fl.out, fl.format, fl.force, fl.json)
	if err != nil {
		return err
	}
	defer led.Close()
	is := a.newIssuer(fl.key, data, info, led, fl.format, fl.json, now)
	r, err := is.License(context.Background(), &issue.LicenseRequest{
		License: lic, Grant: grantRaw, NoRotationGrant: fl.noRotation, Order: fl.order,
		Out: a.licenseOut(fl.out, fl.force, fl.format, fl.prefix),
		AskedAt: func(at time.Time) (*token.License, error) {
			l, p := a.buildLicense(cmd, fl, at, req)
			if len(p) > 0 {
				return nil, problemsError("cannot mint, nothing was signed", p, hint)
			}
			return l, nil
		},
	})
	if err != nil {
		return issueError(err, led, "cannot mint, nothing was signed")
	}
	if err := a.issued(r, led, fl.format, fl.json, "license "+r.Entry.ID); err != nil {
		return err
	}
	if req != nil {
		fmt.Fprintf(a.stderr, "licet: the license is bound to the machine of %s: product %s, %s=%s (machine id from %s)\n",
			fl.fromRequest, safeText(req.Product), machine.BindingKey, safeText(req.Fingerprint), safeText(sourceText(req.Source)))
	}
	return nil
}

// checkGrant refuses a license that its grant would not allow, or a key
// that is not the grant's, before anything is signed.
func checkGrant(grantPath, keyPath string, g *token.Grant, lic *token.License, pub ed25519.PublicKey, kid []byte) error {
	if g == nil {
		return nil
	}
	if !g.Key.Equal(pub) {
		return failure(fmt.Errorf("%s is for the key %x of partner %s; %s is the key %x: a license under the grant would be rejected (grant_violation)",
			grantPath, token.KeyID(g.Key), g.Subject, keyPath, kid),
			"mint with the partner key the grant names (licet inspect shows it)")
	}
	if v := verify.Violations(g, lic); len(v) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "the license would break its grant (grant_violation), nothing was signed:")
		for _, p := range v {
			b.WriteString("\n  - " + p)
		}
		return failure(errors.New(b.String()), fmt.Sprintf("stay within the grant ('licet inspect %s' shows it), or ask the vendor for a wider one", grantPath))
	}
	return nil
}

func formatExpiry(t time.Time) string {
	if t.IsZero() {
		return "never (perpetual)"
	}
	return t.UTC().Format(time.RFC3339)
}

// encodeToken returns a signed object in the chosen form, refusing one
// that verifiers would not accept.
func encodeToken(raw []byte, pemType string, headers map[string]string, format, prefix string) ([]byte, error) {
	var data []byte
	switch format {
	case "pem":
		data = token.EncodePEM(raw, pemType, headers)
	case "raw":
		data = raw
	default:
		s, err := token.EncodeText(raw, prefix)
		if err != nil {
			return nil, usageError("", "%v", err)
		}
		data = []byte(s + "\n")
	}
	if len(data) > token.MaxTokenSize {
		return nil, failure(fmt.Errorf("the %s would be %d bytes in the %s form, over the %d bytes that verifiers accept; nothing was written",
			map[string]string{token.PEMLicense: "license", token.PEMGrant: "grant", token.PEMRevocations: "revocation list"}[pemType],
			len(data), format, token.MaxTokenSize), "use fewer or shorter claims (the raw form is the smallest)")
	}
	return data, nil
}

// writeToken writes a signed object in the chosen form to out, or stdout.
func (a *app) writeToken(raw []byte, pemType string, headers map[string]string, format, prefix, out string, force bool, what string) error {
	data, err := encodeToken(raw, pemType, headers, format, prefix)
	if err != nil {
		return err
	}
	return a.writeData(data, format, out, force, what)
}

// writeData writes an encoded object to out, or stdout, and says so on
// stderr when what names it.
func (a *app) writeData(data []byte, format, out string, force bool, what string) error {
	if out == "" || out == "-" {
		if format == "raw" && a.stdoutTerminal() {
			return usageError("write it to a file with -o FILE, or choose --format text or pem", "not writing raw bytes to a terminal")
		}
		_, err := a.stdout.Write(data)
		return err
	}
	if err := writeNew(out, data, 0o644, force); err != nil {
		return err
	}
	if what != "" {
		fmt.Fprintf(a.stderr, "licet: wrote %s to %s (%s form)\n", what, out, format)
	}
	return nil
}
