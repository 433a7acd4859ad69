package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type grantFlags struct {
	key, partner, partnerPub           string
	versions, maxLife, maxGrace        string
	expires, notBefore, format, out    string
	ledger                             string
	aud, tiers, scopes, limits, rights []string
	force, json, noRotation            bool
	// A site grant (issue 22): --site-seats, --lease, --borrow, --borrows.
	siteSeats, borrows uint64
	lease, borrow      string
}

func newGrantCmd(a *app) *cobra.Command {
	var fl grantFlags
	cmd := &cobra.Command{
		Use:   "grant --key VENDOR_KEY --partner ID --partner-pub FILE --aud PRODUCT... --tier T... --expires DATE [flags]",
		Short: "Let a partner mint licenses within limits (a grant)",
		Long: `Sign a grant with the vendor's key: the partner ID, holding the key in
--partner-pub, may mint licenses with its own key for the products (--aud),
tiers (--tier, "*" for any) and scope patterns (--scope, e.g. 'api:*') listed,
with each --limit capped, passing on only the listed --right values, each
license ending by the grant's expiry and living at most --max-life (from
issue to expiry plus grace), with at most --max-grace of grace. The
partner runs "licet mint --key PARTNER_KEY --grant GRANT ...": the grant
travels inside every license, and products verify it with the vendor's
public key alone.

Keys are rotated with 'licet keys rotate', which signs a grant to the
vendor's own new key. While that rotation runs, a grant asked of the new
key is signed by the previous one (named in the workspace file beside the
key), which every product in the field trusts: grants do not nest, so a
grant of the new key would be unknown to products that trust only the old.

--site-seats N --lease DURATION makes a site grant: the partner is a site's
lease server ('licet seats serve', with the key of --partner-pub), which
hands out leases, licenses bound to one machine each, of at most --lease
(or --borrow for a seat borrowed by a laptop leaving the network, at most
--borrows of them at once), without grace, N seats at a time. Products
refuse a lease that breaks these rules; the count of seats is the lease
server's promise, shown by its signed usage log. A site grant also sets
--max-life to the longest lease (or borrow) and --max-grace to 0, so that
products too old to know site grants still cap a lease's life: giving
other values is refused.

The grant is written in PEM form (LICET GRANT) by default, to stdout or -o.`,
		Example: `  licet grant --key acme.key --partner globex --partner-pub globex.pub \
      --aud acme-db --tier pro --tier team --scope 'api:*' --limit seats=50 \
      --right embed --max-life 365d --expires 2027-12-31 -o globex.grant
  licet grant --key acme-2025.key --partner acme --partner-pub acme-2026.pub \
      --aud acme-db --tier '*' --scope '*' --right embed --expires 2027-12-31 -o rotation.grant
  licet grant --key acme.key --partner hq-seats --partner-pub hq-seats.pub --aud acme-db \
      --tier pro --site-seats 25 --lease 1h --borrow 7d --borrows 3 --expires 2027-12-31 -o hq.grant`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.grant(cmd, &fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "the vendor's private key `FILE` (required)")
	f.StringVar(&fl.partner, "partner", "", "partner `ID`: the issuer of every license under the grant (required)")
	f.StringVar(&fl.partnerPub, "partner-pub", "", "the partner's public key `FILE` (required)")
	f.StringArrayVar(&fl.aud, "aud", nil, "`PRODUCT` the partner may license (required, repeatable)")
	f.StringArrayVar(&fl.tiers, "tier", nil, "tier `T` the partner may issue, '*' for any (required, repeatable)")
	f.StringArrayVar(&fl.scopes, "scope", nil, "scope or `PATTERN` the partner may grant, e.g. 'api:*' (repeatable)")
	f.StringArrayVar(&fl.limits, "limit", nil, "cap `NAME=N`: every license must carry NAME, at most N (repeatable)")
	f.StringArrayVar(&fl.rights, "right", nil, "right `R` the partner may pass on (repeatable)")
	f.StringVar(&fl.versions, "versions", "", "product version constraint `C`, on top of each license's")
	f.StringVar(&fl.maxLife, "max-life", "", "longest life of a license, from issue to expiry plus grace, as a `DURATION` (365d)")
	f.StringVar(&fl.maxGrace, "max-grace", "", "longest grace period of a license, as a `DURATION` (30d; 0 for none)")
	f.Uint64Var(&fl.siteSeats, "site-seats", 0, "make a site grant of `N` floating seats: the partner is a site's lease server")
	f.StringVar(&fl.lease, "lease", "", "site grant: the longest lease, a `DURATION` (1h; required with --site-seats)")
	f.StringVar(&fl.borrow, "borrow", "", "site grant: the longest borrowed seat, a `DURATION` (7d; with --borrows)")
	f.Uint64Var(&fl.borrows, "borrows", 0, "site grant: at most `N` seats borrowed at once (with --borrow)")
	f.StringVar(&fl.expires, "expires", "", "end of the grant, a `DATE` (required); licenses end by then")
	f.StringVar(&fl.notBefore, "not-before", "", "start of the grant, a `DATE` (default now)")
	f.StringVar(&fl.format, "format", "pem", "output `FORM`: pem, text or raw")
	f.StringVarP(&fl.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.BoolVar(&fl.json, "json", false, "print the id, file, expiry and ledger index as JSON (the grant too, without -o)")
	f.BoolVar(&fl.noRotation, "no-rotation-grant", false, "sign with --key even while its rotation runs (for products that trust the new key)")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("partner-pub", "pub", "pem")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

func (a *app) grant(cmd *cobra.Command, fl *grantFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	g, problems := buildGrant(cmd, fl, now)
	const hint = "see 'licet grant --help'"
	if len(problems) > 0 {
		return problemsError("cannot sign the grant, nothing was signed", problems, hint)
	}
	pub, err := readPartnerKey(fl.partnerPub, fl.partner)
	if err != nil {
		return err
	}
	g.Key = pub.Key
	keyData, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	g.Issuer = info.Public.Issuer
	if g.ID, err = token.NewID(nil); err != nil {
		return failure(err, "")
	}
	if err := g.Validate(); err != nil {
		return problemsError("cannot sign the grant, nothing was signed", validationProblems(err), hint)
	}
	return a.signGrant(g, fl, keyData, info)
}

// buildGrant checks every flag and returns the grant to sign, without
// issuer, key and id, or every problem found.
func buildGrant(cmd *cobra.Command, fl *grantFlags, now time.Time) (*token.Grant, []string) {
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	if fl.key == "" {
		add("--key is required: the vendor's private key")
	}
	switch {
	case fl.partner == "":
		add("--partner is required: the partner's id")
	case !keys.ValidIssuer(fl.partner):
		add(fmt.Sprintf("--partner %q: a partner id is 1 to 64 characters of A-Z a-z 0-9 . _ : @ -", fl.partner))
	}
	if fl.partnerPub == "" {
		add("--partner-pub is required: the partner's public key file")
	}
	if len(fl.aud) == 0 {
		add("--aud is required: a product the partner may license")
	}
	add(checkNonEmpty("aud", fl.aud)...)
	if len(fl.tiers) == 0 {
		add("--tier is required: a tier the partner may issue, or '*'")
	}
	add(checkNonEmpty("tier", fl.tiers)...)
	add(checkScopes("scope", fl.scopes)...)
	add(checkNonEmpty("right", fl.rights)...)
	g := &token.Grant{
		Subject: fl.partner, Audience: fl.aud, Tiers: fl.tiers, Scopes: fl.scopes,
		Rights: fl.rights, IssuedAt: now,
	}
	if g.Scopes == nil {
		g.Scopes = []string{}
	}
	var p []string
	g.Limits, p = parseLimits("limit", fl.limits)
	add(p...)
	g.Versions, p = parseVersions(cmd, fl.versions)
	add(p...)
	add(grantCeilings(fl, g)...)
	add(grantSite(cmd, fl, g)...)
	if fl.expires == "" {
		add("--expires is required: the end of the grant")
	} else {
		g.Expiry, p = parseExpires(fl.expires, now)
		add(p...)
	}
	g.NotBefore, p = parseNotBefore(fl.notBefore, g.Expiry, now)
	add(p...)
	add(checkOutputFlags(fl.format, "", false)...)
	return g, problems
}

// grantCeilings reads --max-life and --max-grace into g.
func grantCeilings(fl *grantFlags, g *token.Grant) []string {
	var problems []string
	if fl.maxLife != "" {
		d, err := parseDuration(fl.maxLife)
		switch {
		case err != nil:
			problems = append(problems, "--max-life "+err.Error())
		case d < time.Second:
			problems = append(problems, "--max-life must be at least 1s")
		default:
			d = d.Truncate(time.Second)
			g.MaxLife = &d
		}
	}
	if fl.maxGrace != "" {
		if d, err := parseDuration(fl.maxGrace); err != nil {
			problems = append(problems, "--max-grace "+err.Error())
		} else {
			d = d.Truncate(time.Second)
			g.MaxGrace = &d
		}
	}
	return problems
}

// grantSite reads --site-seats, --lease, --borrow and --borrows into g's
// site claim, and sets the ceilings every site grant carries for
// verifiers older than "site": max life = the longest lease (or borrow),
// max grace 0. A --max-life or --max-grace that says otherwise is refused.
func grantSite(cmd *cobra.Command, fl *grantFlags, g *token.Grant) []string {
	changed := cmd.Flags().Changed
	if !changed("site-seats") {
		var set []string
		for _, name := range []string{"lease", "borrow", "borrows"} {
			if changed(name) {
				set = append(set, "--"+name)
			}
		}
		if len(set) > 0 {
			return []string{strings.Join(set, ", ") + " make a site grant: give --site-seats N too"}
		}
		return nil
	}
	var problems []string
	seconds := func(name, value string) time.Duration {
		d, err := parseDuration(value)
		switch {
		case err != nil:
			problems = append(problems, "--"+name+" "+err.Error())
		case d < time.Second || d%time.Second != 0:
			problems = append(problems, fmt.Sprintf("--%s %s: a whole number of seconds, at least 1s", name, value))
		}
		return d
	}
	site := &token.Site{Seats: fl.siteSeats, Borrows: fl.borrows}
	if fl.siteSeats == 0 {
		problems = append(problems, "--site-seats must be at least 1")
	}
	if fl.lease == "" {
		problems = append(problems, "--lease is required with --site-seats: the longest lease, e.g. 1h")
	} else {
		site.Lease = seconds("lease", fl.lease)
	}
	switch {
	case changed("borrow") != changed("borrows"):
		problems = append(problems, "--borrow and --borrows go together: the longest borrowed seat and how many seats may be borrowed at once")
	case changed("borrow"):
		site.Borrow = seconds("borrow", fl.borrow)
		if fl.borrows == 0 {
			problems = append(problems, "--borrows must be at least 1 (leave --borrow and --borrows out for no borrowing)")
		}
	}
	if len(problems) > 0 {
		return problems
	}
	maxLife := site.MaxLease()
	if g.MaxLife != nil && *g.MaxLife != maxLife {
		problems = append(problems, fmt.Sprintf("--max-life %s conflicts with the site grant: its max life is its longest lease (or borrow), %s; leave --max-life out",
			fl.maxLife, formatDuration(maxLife)))
	}
	if g.MaxGrace != nil && *g.MaxGrace != 0 {
		problems = append(problems, fmt.Sprintf("--max-grace %s conflicts with the site grant: a lease has no grace, so its max grace is 0; leave --max-grace out", fl.maxGrace))
	}
	noGrace := time.Duration(0)
	g.Site, g.MaxLife, g.MaxGrace = site, &maxLife, &noGrace
	return problems
}

// readPartnerKey reads --partner-pub, whose issuer (when it names one)
// must be --partner.
func readPartnerKey(path, partner string) (*keys.PublicKey, error) {
	data, err := readFile(path, "the partner's public key file", maxKeyFileSize)
	if err != nil {
		return nil, err
	}
	pub, err := keys.ParsePublicKey(data)
	if err != nil {
		return nil, failure(fmt.Errorf("%s: %v", path, err), "--partner-pub takes the partner's public key file (ID.pub)")
	}
	if pub.Issuer != "" && pub.Issuer != partner {
		return nil, usageError("the partner's licenses carry the issuer of its key: use --partner "+pub.Issuer+", or check the key file",
			"%s is a key of %q, not of --partner %q", path, pub.Issuer, partner)
	}
	return pub, nil
}

// signGrant signs a checked grant, records it in the ledger and writes it.
func (a *app) signGrant(g *token.Grant, fl *grantFlags, keyData []byte, info *keys.KeyInfo) error {
	if err := a.checkOutput(fl.out, fl.format, fl.force, fl.json); err != nil {
		return err
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	is, err := a.grantIssuer(led, fl, keyData, info, a.now().UTC().Truncate(time.Second))
	if err != nil {
		return err
	}
	r, err := is.Grant(context.Background(), g, a.grantOut(fl.out, fl.force, fl.format))
	if err != nil {
		return issueError(err, led, "cannot sign the grant, nothing was signed")
	}
	return a.issued(r, led, fl.format, fl.json, "grant "+r.Entry.ID)
}

// grantIssuer returns the Issuer that signs a partner grant: the key of
// --key, except while a rotation of that key runs ('licet keys rotate'):
// then the previous key signs (issue.RevocationSigner), as products that
// trust only it cannot verify a grant signed by the new key, and a grant
// cannot carry the rotation grant (grants do not nest). The workspace
// beside the key names the previous key's file.
func (a *app) grantIssuer(led *ledger.Ledger, fl *grantFlags, keyData []byte, info *keys.KeyInfo, now time.Time) (*issue.Issuer, error) {
	is := a.newIssuer(fl.key, keyData, info, led, fl.format, fl.json, now)
	if fl.noRotation {
		return is, nil
	}
	ws, err := issue.LoadWorkspace(filepath.Dir(fl.key))
	if err != nil {
		return nil, failure(err, "")
	}
	ls, err := issue.RevocationSigner(context.Background(), led, ws, info.Public.Issuer, info.Public.Key, now)
	if err != nil {
		return nil, failure(err, ledgerHint)
	}
	if !ls.Rotated {
		return is, nil
	}
	if ls.File == "" {
		return nil, failure(fmt.Errorf("a rotation from key %s to %s runs: products that trust only key %s accept grants it signs, not grants of %s, and %s does not name its file",
			ls.KID, fl.key, ls.KID, fl.key, filepath.Join(filepath.Dir(fl.key), issue.WorkspaceFile)),
			"sign the grant with --key OLD.key (key "+ls.KID+"), or pass --no-rotation-grant for products that trust the new key")
	}
	oldData, oldInfo, err := readKeyFile(ls.File)
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(oldInfo.Public.KeyID()) != ls.KID || oldInfo.Public.Issuer != info.Public.Issuer {
		return nil, failure(fmt.Errorf("%s is not the previous key %s of issuer %s that the workspace names", ls.File, ls.KID, info.Public.Issuer), "")
	}
	fmt.Fprintf(a.stderr, "licet: key %x is rotating in: the grant is signed by the previous key %s (%s), which every product in the field trusts\n",
		info.Public.KeyID(), ls.File, ls.KID)
	return a.newIssuer(ls.File, oldData, oldInfo, led, fl.format, fl.json, now), nil
}

// grantOut is where and how a grant goes: -o FILE (or stdout), in the
// chosen form with the PEM headers of a grant.
func (a *app) grantOut(out string, force bool, format string) issue.Out {
	if out == "-" {
		out = ""
	}
	return issue.Out{File: out, Replace: force, Encode: func(e *ledger.Entry) ([]byte, error) {
		m, err := token.ParseMessage(e.Raw)
		if err != nil {
			return nil, err
		}
		g, err := token.DecodeGrant(m.Payload)
		if err != nil {
			return nil, err
		}
		headers := map[string]string{
			"Vendor":   g.Issuer,
			"Partner":  g.Subject,
			"Products": strings.Join(g.Audience, ", "),
			"Expires":  rfc3339(g.Expiry),
			"Grant-ID": hex.EncodeToString(g.ID),
		}
		return encodeToken(e.Raw, token.PEMGrant, headers, format, "")
	}}
}

// readGrant reads the grant a partner mints under: a grant object, not
// verified here (the product verifies it), with its raw bytes to embed.
func readGrant(path string) ([]byte, *token.Grant, error) {
	data, err := readTokenFile(path, "a grant file", token.MaxTokenSize+1)
	if err != nil {
		return nil, nil, err
	}
	const hint = "--grant takes the grant file the vendor gave you (-----BEGIN LICET GRANT-----)"
	u, err := token.ParseUnverified(data)
	if err != nil {
		return nil, nil, failure(fmt.Errorf("%s: not a grant: %s", path, strings.TrimPrefix(err.Error(), "token: ")), hint)
	}
	switch {
	case u.License != nil && u.EmbeddedGrant != nil:
		return nil, nil, failure(fmt.Errorf("%s is a license issued under a grant, not a grant: grants do not nest", path), hint)
	case u.License != nil:
		return nil, nil, failure(fmt.Errorf("%s is a license, not a grant", path), hint)
	case u.Revocations != nil:
		return nil, nil, failure(fmt.Errorf("%s is a revocation list, not a grant", path), hint)
	case u.Message.Header.Grant != nil:
		return nil, nil, failure(fmt.Errorf("%s is a grant that carries a grant itself: only one level is allowed", path), hint)
	}
	return u.Message.Raw, u.Grant, nil
}
