package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type rotateFlags struct {
	key, outPriv, outPub, grantOut, until, ledger, policy string
	aud, rights                                           []string
	noPassphrase, force                                   bool
}

func newKeysRotateCmd(a *app) *cobra.Command {
	var fl rotateFlags
	cmd := &cobra.Command{
		Use:   "rotate --key OLD.key --out-priv NEW.key [--out-pub NEW.pub] --until DATE [--aud PRODUCT]... [--right R]...",
		Short: "Replace a signing key without breaking the products in the field",
		Long: `Make a new signing key for the issuer of --key and the rotation grant: a
grant signed by the old key to the new one for the issuer's own licenses
(any tier, any scope, the products and rights listed), so that products that
trust only the old public key accept what the new key signs. The grant is
recorded in the ledger (beside the old key, or --ledger) and written to
--grant-out (default NEW.grant); the workspace file licet-keys.json beside
the new key records which file holds which key (no secret).

From then on mint, renew, grant and batch with --key NEW.key attach the
rotation grant on their own while it is needed: from now until --until, the
date after which no product in the field trusts only the old key (ship the
new public key in every release until then). A license that the grant does
not cover (a perpetual one, one expiring after --until, another product or
right) is refused, naming what; --no-rotation-grant signs without it, for
products that trust the new key. After --until nothing is attached.

Revocation lists stay signed by the old key while the rotation runs: every
product trusts it (new releases keep it, retired: a retired key still signs
lists). 'licet revoke --key NEW.key' signs with the old key, whose file
the workspace names.

--aud and --right default to every product and right of the issuer's
licenses and grants in the ledger and of the policy file's templates.`,
		Example: `  licet keys rotate --key acme.key --out-priv acme-2027.key --until 2030-12-31
  licet keys rotate --key acme.key --out-priv acme-2027.key --out-pub acme-2027.pub \
      --aud acme-db --aud acme-cli --right embed --until 2030-12-31`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.keysRotate(&fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "the current private key `FILE` (required); it signs the rotation grant")
	f.StringVar(&fl.outPriv, "out-priv", "", "the new private key `FILE` (required)")
	f.StringVar(&fl.outPub, "out-pub", "", "the new public key `FILE` (default: --out-priv with .pub)")
	f.StringVar(&fl.grantOut, "grant-out", "", "write the rotation grant to `FILE` (default: --out-priv with .grant)")
	f.StringVar(&fl.until, "until", "", "end of the rotation, a `DATE`: after it no product in the field trusts only the old key (required)")
	f.StringArrayVar(&fl.aud, "aud", nil, "`PRODUCT` the new key may license through the grant (repeatable; default: every product known)")
	f.StringArrayVar(&fl.rights, "right", nil, "right `R` the new key may pass on through the grant (repeatable; default: every right known)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVar(&fl.policy, "policy", "", policyFlagUsage)
	f.BoolVar(&fl.noPassphrase, "no-passphrase", false, "write the new private key UNENCRYPTED (CI and tests only)")
	f.BoolVar(&fl.force, "force", false, "overwrite existing output files")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("out-priv", "key")
	_ = cmd.MarkFlagFilename("out-pub", "pub")
	addPassphraseFileFlag(cmd, a)
	return cmd
}

// rotateOutputs fills in the default output names and checks them.
func rotateOutputs(fl *rotateFlags) error {
	base := strings.TrimSuffix(fl.outPriv, filepath.Ext(fl.outPriv))
	if fl.outPub == "" {
		fl.outPub = base + ".pub"
	}
	if fl.grantOut == "" {
		fl.grantOut = base + ".grant"
	}
	names := []string{fl.key, fl.outPriv, fl.outPub, fl.grantOut}
	for i, n := range names {
		for _, m := range names[:i] {
			if filepath.Clean(n) == filepath.Clean(m) {
				return usageError("", "%s is named twice: --key, --out-priv, --out-pub and --grant-out are four files", n)
			}
		}
	}
	if err := checkKeyOutputs(fl.outPriv, fl.outPub, fl.force); err != nil {
		return err
	}
	if err := checkDir(fl.grantOut); err != nil {
		return err
	}
	if _, err := os.Lstat(fl.grantOut); err == nil && !fl.force {
		return ioError(fmt.Errorf("%s already exists; not overwriting it", fl.grantOut), "choose another name with --grant-out, or pass --force")
	}
	return nil
}

func (a *app) keysRotate(fl *rotateFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	var problems []string
	if fl.outPriv == "" {
		problems = append(problems, "--out-priv is required: the new private key file")
	}
	until := time.Time{}
	switch t, err := parseDate(fl.until, false, now); {
	case fl.until == "":
		problems = append(problems, "--until is required: the date after which no product in the field trusts only the old key")
	case err != nil:
		problems = append(problems, "--until "+err.Error())
	case !t.After(now):
		problems = append(problems, fmt.Sprintf("--until %s is not in the future", rfc3339(t)))
	default:
		until = t
	}
	problems = append(problems, checkNonEmpty("aud", fl.aud)...)
	problems = append(problems, checkNonEmpty("right", fl.rights)...)
	if fl.noPassphrase && a.passphraseFile != "" {
		problems = append(problems, "give either --no-passphrase or --passphrase-file, not both")
	}
	if len(problems) > 0 {
		return problemsError("cannot rotate, nothing was written", problems, "see 'licet keys rotate --help'")
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	if err := rotateOutputs(fl); err != nil {
		return err
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	ctx := context.Background()
	if rot, err := issue.CurrentRotation(ctx, led, info.Public.Issuer, info.Public.Key, now); err != nil {
		return failure(err, ledgerHint)
	} else if rot != nil {
		return failure(fmt.Errorf("%s is itself the new key of a rotation that runs until %s (grant %x from key %s): products that trust only key %s would not accept a key it certifies (grants do not nest)",
			fl.key, rfc3339(rot.Grant.Expiry), rot.Grant.ID, rot.Entry.KID, rot.Entry.KID),
			"rotate from the key that signed that grant (key "+rot.Entry.KID+"), or wait until the rotation ends")
	}
	products, rights, err := a.rotationTerms(led, info.Public.Issuer, fl)
	if err != nil {
		return err
	}
	old := a.newIssuer(fl.key, data, info, led, "pem", false, now)
	if _, err := old.Signer(); err != nil { // the old key's passphrase first
		return err
	}
	k, err := keys.Generate(rand.Reader, info.Public.Issuer)
	if err != nil {
		return failure(err, "")
	}
	priv, err := a.encodeNewKey(k, fl.outPriv, fl.noPassphrase)
	if err != nil {
		return err
	}
	if err := writeNew(fl.outPriv, priv, 0o600, fl.force); err != nil {
		return err
	}
	if err := writeNew(fl.outPub, k.Public().MarshalPEM(), 0o644, fl.force); err != nil {
		return err
	}
	g := &token.Grant{Subject: k.Issuer, Key: k.Public().Key, Audience: products, Tiers: []string{"*"}, Scopes: []string{"*"},
		Rights: rights, Expiry: until}
	r, err := old.Grant(ctx, g, a.grantOut(fl.grantOut, fl.force, "pem"))
	if err != nil {
		return issueError(err, led, "cannot sign the rotation grant")
	}
	if err := recordRotation(fl, info, k, r.Entry.ID); err != nil {
		return err
	}
	a.printRotation(fl, info, k, g, r.Entry, led)
	return nil
}

// recordRotation records the old and the new key files in the workspace
// beside the new key.
func recordRotation(fl *rotateFlags, info *keys.KeyInfo, k *keys.PrivateKey, grantID string) error {
	ws, err := issue.LoadWorkspace(filepath.Dir(fl.outPriv))
	if err != nil {
		return failure(err, "")
	}
	oldKID, newKID := hex.EncodeToString(info.Public.KeyID()), hex.EncodeToString(k.KeyID())
	o := ws.Put(oldKID, info.Public.Issuer, fl.key)
	o.RotatedTo, o.Grant = newKID, grantID
	ws.Put(newKID, k.Issuer, fl.outPriv)
	if err := ws.Save(); err != nil {
		return ioError(fmt.Errorf("writing the workspace file: %v", err), "")
	}
	return nil
}

func (a *app) printRotation(fl *rotateFlags, info *keys.KeyInfo, k *keys.PrivateKey, g *token.Grant, e *ledger.Entry, led *ledger.Ledger) {
	f := newFields(a.stdout, "")
	f.add("rotated", fmt.Sprintf("issuer %s: key %x -> key %x", k.Issuer, info.Public.KeyID(), k.KeyID()))
	f.add("new private key", fl.outPriv)
	f.add("new public key", fl.outPub+" (ship it in every release from now on, beside the old one)")
	f.add("rotation grant", fmt.Sprintf("%s in %s and %s", e.ID, fl.grantOut, led.Location()))
	f.add("products", strings.Join(g.Audience, ", "))
	f.add("rights", dash(strings.Join(g.Rights, ", ")))
	f.add("until", rfc3339(g.Expiry))
	f.add("workspace", filepath.Join(filepath.Dir(fl.outPriv), issue.WorkspaceFile))
	f.flush()
	fmt.Fprintf(a.stdout, "mint, renew, grant and batch with --key %s attach the rotation grant until %s;\nrevocation lists stay signed by %s until then.\n",
		fl.outPriv, rfc3339(g.Expiry), fl.key)
}

// rotationTerms returns the products and rights of the rotation grant:
// the flags, else every product and right of the issuer's licenses and
// grants in the ledger and of the policy file's templates.
func (a *app) rotationTerms(led *ledger.Ledger, issuer string, fl *rotateFlags) ([]string, []string, error) {
	products, rights := slices.Clone(fl.aud), slices.Clone(fl.rights)
	if len(products) > 0 && len(rights) > 0 {
		return products, rights, nil
	}
	var ps, rs []string
	list, err := led.List(context.Background(), ledger.Filter{})
	if err != nil {
		return nil, nil, failure(err, ledgerHint)
	}
	for _, e := range list {
		if e.Issuer != issuer || e.Kind == ledger.KindRevocations {
			continue
		}
		ps = append(ps, e.Audience...)
		if m, err := token.ParseMessage(e.Raw); err == nil {
			if l, err := token.DecodeLicense(m.Payload); err == nil && e.Kind == ledger.KindLicense {
				rs = append(rs, l.Rights...)
			} else if g, err := token.DecodeGrant(m.Payload); err == nil && e.Kind == ledger.KindGrant {
				rs = append(rs, g.Rights...)
			}
		}
	}
	loc := a.policyLocation(fl.policy, fl.key)
	if _, err := os.Stat(loc); err == nil || fl.policy != "" {
		p, err := loadPolicy(loc)
		if err != nil {
			return nil, nil, err
		}
		for id := range p.Products {
			ps = append(ps, id)
		}
		for _, t := range p.Templates {
			ps = append(ps, t.Products...)
			rs = append(rs, t.Rights...)
		}
	}
	if len(products) == 0 {
		slices.Sort(ps)
		products = slices.Compact(ps)
	}
	if len(rights) == 0 {
		slices.Sort(rs)
		rights = slices.Compact(rs)
	}
	if len(products) == 0 {
		return nil, nil, usageError("for example: --aud acme-db", "no product in the ledger %s or the policy file: name the products the new key may license with --aud", led.Location())
	}
	return products, rights, nil
}
