package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

type revokeFlags struct {
	key, from, nextUpdate, format, out string
	ledger                             string
	ctis, ctiFrom, kids, licenses      []string
	grants, unrevoke                   []string
	force, json                        bool
}

func newRevokeCmd(a *app) *cobra.Command {
	var fl revokeFlags
	cmd := &cobra.Command{
		Use:   "revoke --key VENDOR_KEY [--license ID|ORDER]... [--grant ID|ORDER]... [--cti HEX]... [--kid HEX]... [--unrevoke ID]... --next-update DATE|DURATION [-o FILE]",
		Short: "Extend the issuer's revocation list, recorded in the ledger",
		Long: `Sign the issuer's next revocation list. The list extends the newest list of
the key's issuer recorded in the ledger: its seq goes up by one and every
entry it holds is kept, so revoking one license never un-revokes another.
Only --unrevoke drops an entry, and the command says what it dropped.

--license names a license (or grant) in the ledger by id, unique id prefix
(6+ digits) or order reference. A license minted under a grant is revoked
as "that id under that grant" (gcti), so that another partner's license
carrying the same id stays valid; any other license, and a grant (--grant),
by its id (revoking a grant revokes every license under it). --cti names an
id directly (GRANT:ID for a license minted under a grant that the ledger
does not know), --cti-from the license or grant in a file, --kid a revoked
key id (vendor or partner key: everything it signed). --unrevoke takes an
id, a key id or GRANT:ID off the list.

The list is signed by the key of --key; while a rotation of that key runs
('licet keys rotate'), by the previous key, which every product in the
field trusts (a retired key still signs lists): the workspace file beside
the key names its file. --from adopts a list that the ledger does not hold
yet (a ledger without any list of the issuer); otherwise it must be a list
recorded in the ledger. --next-update says when
the next list is due (a DATE, or a DURATION from now); after it, verifiers
warn that the list is stale, or reject with --strict-revocations.

Products load the list with "licet verify --revocations FILE" or
verify.ParseRevocations. The list is written in PEM form by default. An
existing -o file is replaced only with --force (or when it is the --from
file), and never when it holds a newer list of the issuer than the
ledger's newest: that list was signed elsewhere, and replacing it would
un-revoke what it revokes.`,
		Example: `  licet revoke --key acme.key --license PO-1187 --next-update 30d -o revoked.pem
  licet revoke --key acme.key --license 8f26dbc278 --kid globex.pub --next-update 30d -o revoked.pem --force
  licet revoke --key acme.key --grant globex-grant-id --next-update 2027-01-31 -o revoked.pem --force
  licet revoke --key acme.key --unrevoke 8f26dbc27843c7fcaaae0e22d8e7e7a2 --next-update 30d -o revoked.pem --force
  licet revoke --key acme.key --next-update 30d -o revoked.pem --force   # refresh only`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.revoke(&fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "the vendor's private key `FILE` (required)")
	f.StringVar(&fl.from, "from", "", "extend this signed list `FILE` (the ledger's, or one the ledger has no newer list than)")
	f.StringArrayVar(&fl.licenses, "license", nil, "revoke the license (or grant) with this `ID` or order in the ledger (an id prefix of 6+ digits will do; repeatable)")
	f.StringArrayVar(&fl.grants, "grant", nil, "revoke the grant with this `ID` or order in the ledger, and every license under it (repeatable)")
	f.StringArrayVar(&fl.ctis, "cti", nil, "revoked license or grant id, 32 hex digits, or GRANT:ID for a license under a grant (repeatable)")
	f.StringArrayVar(&fl.ctiFrom, "cti-from", nil, "revoke the license or grant in `FILE` (repeatable)")
	f.StringArrayVar(&fl.kids, "kid", nil, "revoked key id, 16 hex digits, or a key `FILE` (repeatable)")
	f.StringArrayVar(&fl.unrevoke, "unrevoke", nil, "take this `ID` off the list: an id, GRANT:ID, a key id or a ledger reference (repeatable)")
	f.StringVar(&fl.nextUpdate, "next-update", "", "when the next list is due: a `DATE` or a DURATION from now (required)")
	f.StringVar(&fl.format, "format", "pem", "output `FORM`: pem, text or raw")
	f.StringVarP(&fl.out, "output", "o", "", "write to `FILE` instead of stdout")
	f.BoolVar(&fl.force, "force", false, "overwrite the -o file (never one holding a newer list than the ledger's)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.BoolVar(&fl.json, "json", false, "print the id, file, next update and ledger index as JSON (the list too, without -o)")
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagFilename("from")
	_ = cmd.MarkFlagFilename("output")
	_ = cmd.MarkFlagFilename("cti-from")
	_ = cmd.RegisterFlagCompletionFunc("format", completeFormats)
	addPassphraseFileFlag(cmd, a)
	return cmd
}

func (a *app) revoke(fl *revokeFlags) error {
	now := a.now().UTC().Truncate(time.Second)
	req, problems := parseRevokeFlags(fl, now)
	if len(problems) > 0 {
		return problemsError("cannot sign the revocation list, nothing was signed", problems, "see 'licet revoke --help'")
	}
	data, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	replacesFrom := sameFile(fl.out, fl.from)
	if err := a.checkOutput(fl.out, fl.format, fl.force || replacesFrom, fl.json); err != nil {
		return err
	}
	if fl.from != "" {
		if req.From, err = readTokenFile(fl.from, "a revocation list", token.MaxTokenSize+1); err != nil {
			return err
		}
	}
	req.Replacing = readReplaced(fl.out)
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	notes, err := resolveRevokeRefs(led, fl, req)
	if err != nil {
		return err
	}
	keyPath, data, info, err := a.listSigner(led, fl.key, data, info, now)
	if err != nil {
		return err
	}
	out := fl.out
	if out == "-" {
		out = ""
	}
	req.Out = issue.Out{File: out, Replace: fl.force || replacesFrom, Encode: listEncoder(fl.format)}
	res, err := a.newIssuer(keyPath, data, info, led, fl.format, fl.json, now).Revoke(context.Background(), req)
	if err != nil {
		return revokeError(err, fl, led)
	}
	a.printRevoked(led, res, notes, now)
	return a.issued(res.Result, led, fl.format, fl.json, describeList(res.List))
}

// listEncoder encodes a recorded list in the chosen form, with the PEM
// headers of a list.
func listEncoder(format string) func(e *ledger.Entry) ([]byte, error) {
	return func(e *ledger.Entry) ([]byte, error) {
		u, err := token.ParseUnverified(e.Raw)
		if err != nil || u.Revocations == nil {
			return nil, fmt.Errorf("the recorded list %s does not parse: %v", e.ID, err)
		}
		r := u.Revocations
		headers := map[string]string{"Issuer": r.Issuer, "Seq": fmt.Sprint(r.Seq), "Next-Update": rfc3339(r.NextUpdate)}
		return encodeToken(e.Raw, token.PEMRevocations, headers, format, "")
	}
}

// readReplaced returns what the -o file holds, nil when it is not a
// regular file that reads (the --force rule alone then applies).
func readReplaced(out string) []byte {
	if out == "" || out == "-" {
		return nil
	}
	if fi, err := os.Stat(out); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	data, err := readTokenFile(out, "a revocation list", token.MaxTokenSize+1)
	if err != nil {
		return nil
	}
	return data
}

// listSigner returns the key file that signs the list: --key, unless a
// key rotation is current, when products in the field that trust only
// the previous key need the previous key to sign (a retired key still
// signs lists). The workspace beside the key ('licet keys rotate')
// names the previous key's file.
func (a *app) listSigner(led *ledger.Ledger, keyPath string, data []byte, info *keys.KeyInfo, now time.Time) (string, []byte, *keys.KeyInfo, error) {
	ctx := context.Background()
	ws, err := issue.LoadWorkspace(filepath.Dir(keyPath))
	if err != nil {
		return "", nil, nil, ioError(err, "")
	}
	ls, err := issue.RevocationSigner(ctx, led, ws, info.Public.Issuer, info.Public.Key, now)
	if err != nil {
		return "", nil, nil, failure(fmt.Errorf("reading the ledger %s: %s", led.Location(), strings.TrimPrefix(err.Error(), "ledger: ")), ledgerHint)
	}
	if !ls.Rotated {
		return keyPath, data, info, nil
	}
	rotated := fmt.Errorf("a key rotation is current: products in the field that trust only the previous key %s refuse a list signed by %s (%x), and every product accepts one signed by the previous key (a retired key still signs lists)", ls.KID, keyPath, info.Public.KeyID())
	if ls.File == "" {
		return "", nil, nil, failure(fmt.Errorf("%w; the workspace (%s) does not say which file holds it", rotated, filepath.Join(filepath.Dir(keyPath), issue.WorkspaceFile)),
			"sign the list with the previous key: licet revoke --key PREVIOUS.key ...")
	}
	pdata, pinfo, err := readKeyFile(ls.File)
	if err != nil {
		return "", nil, nil, err
	}
	if hex.EncodeToString(pinfo.Public.KeyID()) != ls.KID || pinfo.Public.Issuer != info.Public.Issuer {
		return "", nil, nil, failure(fmt.Errorf("%w; the workspace names %s for it, which holds key %x of %q", rotated, ls.File, pinfo.Public.KeyID(), pinfo.Public.Issuer),
			"sign the list with the previous key: licet revoke --key PREVIOUS.key ...")
	}
	fmt.Fprintf(a.stderr, "licet: key %x is rotating in: the list is signed by the previous key %s (%s), which every product in the field trusts (a retired key still signs lists)\n",
		info.Public.KeyID(), ls.File, ls.KID)
	return ls.File, pdata, pinfo, nil
}

// revokeError turns an error of issue.Issuer.Revoke into the CLI's.
func revokeError(err error, fl *revokeFlags, led *ledger.Ledger) error {
	var (
		ne *issue.NewerListError
		fe *issue.FromError
		re *issue.RotatedSignerError
		pe *issue.ProblemsError
	)
	switch {
	case errors.As(err, &ne):
		have := fmt.Sprintf("the ledger's newest is seq %d", ne.BaseSeq)
		hint := "revoke with the ledger that signed it (--ledger, LICET_LEDGER)"
		if ne.BaseSeq == 0 {
			have = "the ledger holds no list of " + ne.Issuer
			hint += ", or extend it: --from " + ne.File
		}
		return failure(fmt.Errorf("%s holds revocation list seq %d of %s, newer than the ledger's (%s): not overwriting it, even with --force, since that would un-revoke what only it revokes; nothing was signed",
			ne.File, ne.Seq, ne.Issuer, have), hint)
	case errors.As(err, &fe):
		return failure(fmt.Errorf("--from %s: %s", fl.from, strings.TrimPrefix(fe.Err.Error(), "token: ")), "--from takes a list written by 'licet revoke' with the same --key, or one recorded in the ledger")
	case errors.As(err, &re):
		return failure(errors.New(strings.TrimPrefix(err.Error(), "issue: ")), "sign the list with the previous key: licet revoke --key PREVIOUS.key ...")
	case errors.As(err, &pe):
		return problemsError("cannot sign the revocation list, nothing was signed", pe.Problems, "'licet verify --revocations FILE' or 'licet inspect' shows the list's entries")
	}
	return issueError(err, led, "cannot sign the revocation list, nothing was signed")
}

// printRevoked says what the list kept, what the ledger turned into
// grant-scoped entries and what was dropped, with a warning for each drop
// that products keeping revocation state will not follow.
func (a *app) printRevoked(led *ledger.Ledger, res *issue.RevokeResult, notes []string, now time.Time) {
	if res.Base != nil {
		fmt.Fprintf(a.stderr, "licet: extending revocation list seq %d of %s (%s kept)\n", res.Base.Seq, res.List.Issuer, count(res.Kept, "entry", "entries"))
	}
	for _, n := range notes {
		fmt.Fprintf(a.stderr, "licet: %s\n", n)
	}
	for _, e := range res.Scoped {
		fmt.Fprintf(a.stderr, "licet: revoking %s (the ledger's entry for id %s)\n", describeEntry(e), e.ID)
	}
	for _, d := range res.Dropped {
		fmt.Fprintf(a.stderr, "licet: unrevoking %s: dropped from the list\n", d)
		if !expiredIn(led, d, now) {
			a.warn("products that keep revocation state (package sdk) keep %s revoked and report that the list dropped it: to restore the licensee, issue a new license", d)
		}
	}
}

// describeList is how messages name a signed list: its seq and counts.
func describeList(r *token.Revocations) string {
	granted := 0
	for _, g := range r.Granted {
		granted += len(g.IDs)
	}
	under := ""
	if granted > 0 {
		under = fmt.Sprintf(", %d under grants", granted)
	}
	return fmt.Sprintf("revocation list seq %d (%s%s, %s, next update %s)", r.Seq, count(len(r.IDs)+granted, "id", "ids"), under,
		count(len(r.KeyIDs), "key", "keys"), rfc3339(r.NextUpdate))
}

// sameFile reports whether -o names the --from file, which is then replaced.
func sameFile(out, from string) bool {
	return from != "" && out != "" && filepath.Clean(out) == filepath.Clean(from)
}

// parseRevokeFlags checks the flags that need no ledger: --next-update,
// --cti, --cti-from, --kid, --format and the literal forms of --unrevoke
// (ids, GRANT:ID, key ids, key files); references to the ledger are left
// in fl for [resolveRevokeRefs].
func parseRevokeFlags(fl *revokeFlags, now time.Time) (*issue.RevokeRequest, []string) {
	req := new(issue.RevokeRequest)
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	if fl.key == "" {
		add("--key is required: the vendor's private key")
	}
	if fl.nextUpdate == "" {
		add("--next-update is required: when the next list is due (30d, or a DATE)")
	} else if t, err := parseDate(fl.nextUpdate, false, now); err != nil {
		add("--next-update " + err.Error())
	} else if !t.After(now) {
		add(fmt.Sprintf("--next-update %s is not in the future", t.Format(time.RFC3339)))
	} else {
		req.NextUpdate = t
	}
	for _, c := range fl.ctis {
		e, ok := parseEntryLiteral(c, false)
		if !ok {
			add(fmt.Sprintf("--cti %q: a license or grant id is 32 hex digits, a license under a grant GRANT:ID (licet inspect shows them)", c))
			continue
		}
		req.Revoke = append(req.Revoke, e)
	}
	for _, path := range fl.ctiFrom {
		e, err := readObjectEntry(path)
		if err != nil {
			add("--cti-from " + err.Error())
			continue
		}
		req.Revoke = append(req.Revoke, e)
	}
	for _, k := range fl.kids {
		kid, err := parseKID(k)
		if err != nil {
			add("--kid " + err.Error())
			continue
		}
		req.Revoke = append(req.Revoke, issue.ListEntry{KeyID: kid})
	}
	for _, u := range fl.unrevoke {
		if strings.TrimSpace(u) == "" {
			add("--unrevoke needs an id, GRANT:ID, a key id or a ledger reference")
		}
	}
	add(checkOutputFlags(fl.format, "", false)...)
	return req, problems
}

// parseEntryLiteral parses an id (32 hex digits), GRANT:ID, and with kids
// a key id (16 hex digits). A bare id names any entry holding it.
func parseEntryLiteral(s string, kids bool) (issue.ListEntry, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if g, id, ok := strings.Cut(s, ":"); ok {
		gb, err1 := hex.DecodeString(g)
		ib, err2 := hex.DecodeString(id)
		if err1 != nil || err2 != nil || len(gb) != token.IDSize || len(ib) != token.IDSize {
			return issue.ListEntry{}, false
		}
		return issue.ListEntry{Grant: gb, ID: ib}, true
	}
	b, err := hex.DecodeString(s)
	switch {
	case err != nil:
		return issue.ListEntry{}, false
	case len(b) == token.IDSize:
		return issue.ListEntry{ID: b, AnyGrant: true}, true
	case kids && len(b) == token.KeyIDSize:
		return issue.ListEntry{KeyID: b}, true
	}
	return issue.ListEntry{}, false
}

// readObjectEntry returns the list entry that revokes the license or grant
// in a file: its id, or for a license minted under a grant, its id under
// that grant.
func readObjectEntry(path string) (issue.ListEntry, error) {
	data, err := readTokenFile(path, "a license or grant", token.MaxTokenSize+1)
	if err != nil {
		return issue.ListEntry{}, err
	}
	e, err := issue.EntryForToken(data)
	if err != nil {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "token: "), "issue: ")
		if strings.HasPrefix(msg, "a revocation list") {
			return e, fmt.Errorf("%s is %s", path, msg)
		}
		return e, fmt.Errorf("%s: %s", path, msg)
	}
	return e, nil
}

// resolveRevokeRefs looks up --license, --grant and the ledger
// references of --unrevoke, adding them to req, and returns a note for
// each saying what the reference is.
func resolveRevokeRefs(led *ledger.Ledger, fl *revokeFlags, req *issue.RevokeRequest) ([]string, error) {
	var notes, problems []string
	lookup := func(flag, ref string, kinds ...ledger.Kind) *ledger.Entry {
		e, err := findRef(led, flag, ref)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case e.Kind == ledger.KindRevocations:
			problems = append(problems, fmt.Sprintf("%s %s is a revocation list, not a license or grant", flag, ref))
		case len(kinds) == 1 && e.Kind != kinds[0]:
			problems = append(problems, fmt.Sprintf("%s %s is a %s, not a %s (--license revokes a license)", flag, ref, e.Kind, kinds[0]))
		default:
			return e
		}
		return nil
	}
	for _, ref := range fl.licenses {
		if e := lookup("--license", ref); e != nil {
			le, _ := issue.EntryFor(e)
			req.Revoke = append(req.Revoke, le)
			notes = append(notes, "revoking "+describeEntry(e))
		}
	}
	for _, ref := range fl.grants {
		if e := lookup("--grant", ref, ledger.KindGrant); e != nil {
			le, _ := issue.EntryFor(e)
			req.Revoke = append(req.Revoke, le)
			notes = append(notes, "revoking "+describeEntry(e)+" and every license under it")
		}
	}
	for _, u := range fl.unrevoke {
		if e, ok := parseEntryLiteral(u, true); ok {
			req.Unrevoke = append(req.Unrevoke, e)
		} else if fi, err := os.Stat(u); err == nil && fi.Mode().IsRegular() {
			kid, err := parseKID(u)
			if err != nil {
				problems = append(problems, "--unrevoke "+err.Error())
				continue
			}
			req.Unrevoke = append(req.Unrevoke, issue.ListEntry{KeyID: kid})
		} else if e := lookup("--unrevoke", u); e != nil {
			le, _ := issue.EntryFor(e)
			req.Unrevoke = append(req.Unrevoke, le)
		}
	}
	if len(problems) > 0 {
		return nil, problemsError("cannot sign the revocation list, nothing was signed", problems, "'licet ledger list' shows the ids and orders")
	}
	return notes, nil
}

// findRef finds a ledger entry by id, unique id prefix or order
// reference, with errors that name the flag.
func findRef(led *ledger.Ledger, flag, ref string) (*ledger.Entry, error) {
	e, err := issue.Find(context.Background(), led, ref)
	var ae *ledger.AmbiguousError
	switch {
	case err == nil:
		return e, nil
	case errors.As(err, &ae):
		return nil, fmt.Errorf("%s %s: matches %d entries (%s): give more digits", flag, ref, len(ae.Matches), strings.Join(ae.Matches, ", "))
	case errors.Is(err, ledger.ErrNotFound):
		return nil, fmt.Errorf("%s %s: no such license, grant or order in the ledger %s", flag, ref, led.Location())
	}
	return nil, fmt.Errorf("%s %s: %s", flag, ref, strings.TrimPrefix(err.Error(), "ledger: "))
}

// describeEntry names a license or grant of the ledger in notes.
func describeEntry(e *ledger.Entry) string {
	var s string
	switch {
	case e.Kind == ledger.KindGrant:
		s = fmt.Sprintf("grant %s (partner %s)", e.ID, e.Partner)
	case e.GrantID != "":
		s = fmt.Sprintf("license %s of %s under grant %s (partner %s)", e.ID, e.Subject, e.GrantID, e.Partner)
	default:
		s = fmt.Sprintf("license %s of %s", e.ID, e.Subject)
	}
	if e.OrderRef != "" {
		s += ", order " + e.OrderRef
	}
	return s
}

// expiredIn reports whether the ledger holds the license or grant that e
// names and it has expired: dropping its entry then changes nothing for
// any product (FORMAT section 6: issuers drop an entry only after the
// token it names has expired).
func expiredIn(led *ledger.Ledger, e issue.ListEntry, now time.Time) bool {
	if e.KeyID != nil {
		return false
	}
	le, err := led.Get(context.Background(), hex.EncodeToString(e.ID))
	return err == nil && le.Kind != ledger.KindRevocations && !le.Expiry.IsZero() && le.Expiry.Before(now)
}
