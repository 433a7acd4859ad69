package main

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type revokeFlags struct {
	key, from, nextUpdate, format, out string
	ledger                             string
	ctis, ctiFrom, kids, licenses      []string
	force, json                        bool
}

func newRevokeCmd(a *app) *cobra.Command {
	var fl revokeFlags
	cmd := &cobra.Command{
		Use:   "revoke --key VENDOR_KEY [--from OLD_LIST] [--cti HEX]... [--cti-from FILE]... [--kid HEX]... --next-update DATE|DURATION [-o FILE]",
		Short: "Create or extend a signed revocation list",
		Long: `Sign a revocation list with the vendor's key. --cti names a revoked license
or grant id (revoking a grant revokes every license under it), --cti-from
the license or grant in a file, --kid a
revoked key id (vendor or partner key: everything it signed). With --from,
the list extends OLD_LIST: its entries are kept and its seq goes up by one.
--next-update says when the next list is due (a DATE, or a DURATION from
now); after it, verifiers warn that the list is stale, or reject with
--strict-revocations.

Products load the list with "licet verify --revocations FILE" or
verify.ParseRevocations. The list is written in PEM form by default; -o may
name the --from file, which is then replaced.`,
		Example: `  licet revoke --key acme.key --cti 8f26dbc27843c7fcaaae0e22d8e7e7a2 --next-update 30d -o revoked.pem
  licet revoke --key acme.key --from revoked.pem --cti-from globex.grant --kid 0011223344556677 --next-update 2027-01-31 -o revoked.pem
  licet revoke --key acme.key --from revoked.pem --next-update 30d -o revoked.pem   # refresh only`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.revoke(&fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "the vendor's private key `FILE` (required)")
	f.StringVar(&fl.from, "from", "", "extend this signed list `FILE`")
	f.StringArrayVar(&fl.ctis, "cti", nil, "revoked license or grant id, 32 hex digits (repeatable)")
	f.StringArrayVar(&fl.ctiFrom, "cti-from", nil, "revoke the license or grant in `FILE` (its id; repeatable)")
	f.StringArrayVar(&fl.kids, "kid", nil, "revoked key id, 16 hex digits, or a key `FILE` (repeatable)")
	f.StringVar(&fl.nextUpdate, "next-update", "", "when the next list is due: a `DATE` or a DURATION from now (required)")
	f.StringVar(&fl.format, "format", "pem", "output `FORM`: pem, text or raw")
	f.StringVarP(&fl.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file")
	f.StringArrayVar(&fl.licenses, "license", nil, "revoke the license or grant with this `ID` in the ledger (an id prefix of 6+ digits will do; repeatable)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.BoolVar(&fl.json, "json", false, "print the id, file, next update and ledger index as JSON (the list too, without -o)")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("from")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

func (a *app) revoke(fl *revokeFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	if fl.key == "" {
		add("--key is required: the vendor's private key")
	}
	r := &token.Revocations{IssuedAt: now, Seq: 1}
	if fl.nextUpdate == "" {
		add("--next-update is required: when the next list is due (30d, or a DATE)")
	} else if t, err := parseDate(fl.nextUpdate, false, now); err != nil {
		add("--next-update " + err.Error())
	} else if !t.After(now) {
		add(fmt.Sprintf("--next-update %s is not in the future", t.Format(time.RFC3339)))
	} else {
		r.NextUpdate = t
	}
	var p []string
	r.IDs, r.KeyIDs, p = parseRevokeFlags(fl)
	add(p...)
	add(checkOutputFlags(fl.format, "", false)...)
	if len(problems) > 0 {
		return problemsError("cannot sign the revocation list, nothing was signed", problems, "see 'licet revoke --help'")
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	if err := a.checkOutput(fl.out, fl.format, fl.force || sameFile(fl.out, fl.from), fl.json); err != nil {
		return err
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	ids, err := resolveLicenses(led, fl.licenses)
	if err != nil {
		return err
	}
	r.IDs = append(r.IDs, ids...)
	r.Issuer = info.Public.Issuer
	if fl.from != "" {
		prev, err := readTokenFile(fl.from, "a revocation list", token.MaxTokenSize+1)
		if err != nil {
			return err
		}
		if err := r.Extend(prev, info.Public.Key); err != nil {
			return failure(fmt.Errorf("--from %s: %s", fl.from, strings.TrimPrefix(err.Error(), "token: ")), "--from takes a list written by 'licet revoke' with the same --key")
		}
	}
	key, err := a.unlockKey(fl.key, data, info)
	if err != nil {
		return err
	}
	raw, err := token.SignRevocations(key.Signer(), r)
	if err != nil {
		return failure(err, "")
	}
	headers := map[string]string{
		"Issuer":      r.Issuer,
		"Seq":         fmt.Sprint(r.Seq),
		"Next-Update": rfc3339(r.NextUpdate),
	}
	what := fmt.Sprintf("revocation list seq %d (%d ids, %d keys, next update %s)", r.Seq, len(r.IDs), len(r.KeyIDs), rfc3339(r.NextUpdate))
	_, err = a.issue(led, &issuance{raw: raw, pub: info.Public.Key, signer: key.Signer(), pemType: token.PEMRevocations, headers: headers,
		format: fl.format, out: fl.out, force: fl.force || sameFile(fl.out, fl.from), json: fl.json, what: what})
	return err
}

// sameFile reports whether -o names the --from file, which is then replaced.
func sameFile(out, from string) bool {
	return from != "" && out != "" && filepath.Clean(out) == filepath.Clean(from)
}

// parseRevokeFlags returns the ids of --cti and --cti-from and the key ids
// of --kid, with every problem found.
func parseRevokeFlags(fl *revokeFlags) (ids, kids [][]byte, problems []string) {
	add := func(p ...string) { problems = append(problems, p...) }
	for _, c := range fl.ctis {
		id, err := hex.DecodeString(strings.TrimSpace(c))
		if err != nil || len(id) != token.IDSize {
			add(fmt.Sprintf("--cti %q: a license or grant id is 32 hex digits (licet inspect shows it)", c))
			continue
		}
		ids = append(ids, id)
	}
	for _, path := range fl.ctiFrom {
		id, err := readObjectID(path)
		if err != nil {
			add("--cti-from " + err.Error())
			continue
		}
		ids = append(ids, id)
	}
	for _, k := range fl.kids {
		kid, err := parseKID(k)
		if err != nil {
			add("--kid " + err.Error())
			continue
		}
		kids = append(kids, kid)
	}
	return ids, kids, problems
}

// readObjectID returns the id (cti) of the license or grant in a file.
func readObjectID(path string) ([]byte, error) {
	data, err := readTokenFile(path, "a license or grant", token.MaxTokenSize+1)
	if err != nil {
		return nil, err
	}
	u, err := token.ParseUnverified(data)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "token: "))
	case u.License != nil:
		return u.License.ID, nil
	case u.Grant != nil:
		return u.Grant.ID, nil
	}
	return nil, fmt.Errorf("%s is a revocation list, not a license or grant", path)
}
