package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

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

The list is signed by the key of --key. --from adopts a list that the
ledger does not hold yet (a ledger without any list of the issuer);
otherwise it must be a list recorded in the ledger. --next-update says when
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
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	if fl.key == "" {
		add("--key is required: the vendor's private key")
	}
	var nextUpdate time.Time
	if fl.nextUpdate == "" {
		add("--next-update is required: when the next list is due (30d, or a DATE)")
	} else if t, err := parseDate(fl.nextUpdate, false, now); err != nil {
		add("--next-update " + err.Error())
	} else if !t.After(now) {
		add(fmt.Sprintf("--next-update %s is not in the future", t.Format(time.RFC3339)))
	} else {
		nextUpdate = t
	}
	ch, p := parseRevokeFlags(fl)
	add(p...)
	add(checkOutputFlags(fl.format, "", false)...)
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
	var from []byte
	if fl.from != "" {
		if from, err = readTokenFile(fl.from, "a revocation list", token.MaxTokenSize+1); err != nil {
			return err
		}
	}
	led, err := a.openLedger(a.ledgerLocation(fl.ledger, fl.key))
	if err != nil {
		return err
	}
	defer led.Close()
	if err := resolveRevokeRefs(led, fl, ch); err != nil {
		return err
	}
	plan, err := planRevocations(context.Background(), led, &revokeRequest{
		Issuer: info.Public.Issuer, Signer: info.Public.Key, Change: ch,
		From: from, FromName: fl.from, IssuedAt: now, NextUpdate: nextUpdate,
	})
	if err != nil {
		return err
	}
	if err := checkNotNewer(fl.out, info.Public.Issuer, plan.Base); err != nil {
		return err
	}
	key, err := a.unlockKey(fl.key, data, info)
	if err != nil {
		return err
	}
	r := plan.List
	raw, err := token.SignRevocations(key.Signer(), r)
	if err != nil {
		return failure(err, "")
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(a.stderr, "licet: %s\n", n)
	}
	for _, u := range ch.Unrevoke {
		if !expiredIn(led, u, now) {
			a.warn("products that keep revocation state (package sdk) keep %s revoked and report that the list dropped it: to restore the licensee, issue a new license", u)
		}
	}
	headers := map[string]string{
		"Issuer":      r.Issuer,
		"Seq":         fmt.Sprint(r.Seq),
		"Next-Update": rfc3339(r.NextUpdate),
	}
	_, err = a.issue(led, &issuance{raw: raw, pub: info.Public.Key, signer: key.Signer(), pemType: token.PEMRevocations, headers: headers,
		format: fl.format, out: fl.out, force: fl.force || replacesFrom, json: fl.json, what: describeList(r)})
	return err
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
	return fmt.Sprintf("revocation list seq %d (%d ids%s, %d keys, next update %s)", r.Seq, len(r.IDs)+granted, under, len(r.KeyIDs), rfc3339(r.NextUpdate))
}

// sameFile reports whether -o names the --from file, which is then replaced.
func sameFile(out, from string) bool {
	return from != "" && out != "" && filepath.Clean(out) == filepath.Clean(from)
}

// revokeChange is what one revoke command changes in the issuer's list.
type revokeChange struct {
	IDs     [][]byte         // by id: grants, licenses not minted under a grant
	Granted []token.GrantIDs // licenses minted under a grant
	KeyIDs  [][]byte
	// Unrevoke names entries to take off the list.
	Unrevoke []revokeEntry
	// Notes say what each ledger reference turned out to be.
	Notes []string
}

// revokeEntry is one entry of a list: an id, an id under a grant, or a
// key id; flag is how the user named it, for messages.
type revokeEntry struct {
	flag       string
	grant, id  []byte
	kid        []byte
	ledgerRef  string // resolved from the ledger
	resolvedAs string // what the ledger entry is, for notes
}

// String names the entry in messages.
func (e revokeEntry) String() string {
	switch {
	case e.kid != nil:
		return "key " + hex.EncodeToString(e.kid)
	case e.grant != nil:
		return fmt.Sprintf("license %x under grant %x", e.id, e.grant)
	}
	return "id " + hex.EncodeToString(e.id)
}

// parseRevokeFlags reads the flags that need no ledger: --cti, --cti-from,
// --kid and the literal forms of --unrevoke; references to the ledger are
// left in fl for [resolveRevokeRefs].
func parseRevokeFlags(fl *revokeFlags) (*revokeChange, []string) {
	ch := new(revokeChange)
	var problems []string
	add := func(p ...string) { problems = append(problems, p...) }
	for _, c := range fl.ctis {
		e, ok := parseEntryLiteral(c, false)
		if !ok {
			add(fmt.Sprintf("--cti %q: a license or grant id is 32 hex digits, a license under a grant GRANT:ID (licet inspect shows them)", c))
			continue
		}
		ch.add(e)
	}
	for _, path := range fl.ctiFrom {
		e, err := readObjectEntry(path)
		if err != nil {
			add("--cti-from " + err.Error())
			continue
		}
		ch.add(e)
	}
	for _, k := range fl.kids {
		kid, err := parseKID(k)
		if err != nil {
			add("--kid " + err.Error())
			continue
		}
		ch.KeyIDs = append(ch.KeyIDs, kid)
	}
	for _, u := range fl.unrevoke {
		if strings.TrimSpace(u) == "" {
			add("--unrevoke needs an id, GRANT:ID, a key id or a ledger reference")
		}
	}
	return ch, problems
}

// add puts e on the list of ids to revoke.
func (ch *revokeChange) add(e revokeEntry) {
	switch {
	case e.kid != nil:
		ch.KeyIDs = append(ch.KeyIDs, e.kid)
	case e.grant != nil:
		ch.Granted = append(ch.Granted, token.GrantIDs{Grant: e.grant, IDs: [][]byte{e.id}})
	default:
		ch.IDs = append(ch.IDs, e.id)
	}
}

// parseEntryLiteral parses an id (32 hex digits), GRANT:ID, and with kids
// a key id (16 hex digits).
func parseEntryLiteral(s string, kids bool) (revokeEntry, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	e := revokeEntry{flag: s}
	if g, id, ok := strings.Cut(s, ":"); ok {
		gb, err1 := hex.DecodeString(g)
		ib, err2 := hex.DecodeString(id)
		if err1 != nil || err2 != nil || len(gb) != token.IDSize || len(ib) != token.IDSize {
			return e, false
		}
		e.grant, e.id = gb, ib
		return e, true
	}
	b, err := hex.DecodeString(s)
	switch {
	case err != nil:
		return e, false
	case len(b) == token.IDSize:
		e.id = b
		return e, true
	case kids && len(b) == token.KeyIDSize:
		e.kid = b
		return e, true
	}
	return e, false
}

// readObjectEntry returns the list entry that revokes the license or grant
// in a file: its id, or for a license minted under a grant, its id under
// that grant.
func readObjectEntry(path string) (revokeEntry, error) {
	e := revokeEntry{flag: path}
	data, err := readTokenFile(path, "a license or grant", token.MaxTokenSize+1)
	if err != nil {
		return e, err
	}
	u, err := token.ParseUnverified(data)
	switch {
	case err != nil:
		return e, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "token: "))
	case u.License != nil && u.EmbeddedGrant != nil:
		e.grant, e.id = u.EmbeddedGrant.ID, u.License.ID
		return e, nil
	case u.License != nil:
		e.id = u.License.ID
		return e, nil
	case u.Grant != nil:
		e.id = u.Grant.ID
		return e, nil
	}
	return e, fmt.Errorf("%s is a revocation list, not a license or grant", path)
}

// resolveRevokeRefs looks up --license, --grant and --unrevoke in the
// ledger, and --cti ids that the ledger knows as licenses minted under a
// grant (which a plain id would not revoke), adding them to ch.
func resolveRevokeRefs(led *ledger.Ledger, fl *revokeFlags, ch *revokeChange) error {
	ctx := context.Background()
	var problems []string
	for _, ref := range fl.licenses {
		e, err := lookupRef(ctx, led, "--license", ref)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case e.Kind == ledger.KindRevocations:
			problems = append(problems, fmt.Sprintf("--license %s is a revocation list, not a license or grant", ref))
		default:
			re := entryOf(e)
			ch.add(re)
			ch.Notes = append(ch.Notes, fmt.Sprintf("revoking %s", re.resolvedAs))
		}
	}
	for _, ref := range fl.grants {
		e, err := lookupRef(ctx, led, "--grant", ref)
		switch {
		case err != nil:
			problems = append(problems, err.Error())
		case e.Kind != ledger.KindGrant:
			problems = append(problems, fmt.Sprintf("--grant %s is a %s, not a grant (--license revokes a license)", ref, e.Kind))
		default:
			re := entryOf(e)
			ch.add(re)
			ch.Notes = append(ch.Notes, fmt.Sprintf("revoking %s and every license under it", re.resolvedAs))
		}
	}
	// A plain --cti id that the ledger holds as a license minted under a
	// grant is revoked under that grant: the plain id would not touch it.
	var plain [][]byte
	for _, id := range ch.IDs {
		e, err := led.Get(ctx, hex.EncodeToString(id))
		if err == nil && e.Kind == ledger.KindLicense && e.GrantID != "" {
			re := entryOf(e)
			ch.add(re)
			ch.Notes = append(ch.Notes, fmt.Sprintf("revoking %s (the ledger's entry for id %x)", re.resolvedAs, id))
			continue
		}
		plain = append(plain, id)
	}
	ch.IDs = plain
	for _, u := range fl.unrevoke {
		if strings.TrimSpace(u) == "" {
			continue
		}
		if e, ok := parseEntryLiteral(u, true); ok {
			ch.Unrevoke = append(ch.Unrevoke, e)
			continue
		}
		if fi, err := os.Stat(u); err == nil && fi.Mode().IsRegular() {
			kid, err := parseKID(u)
			if err != nil {
				problems = append(problems, "--unrevoke "+err.Error())
				continue
			}
			ch.Unrevoke = append(ch.Unrevoke, revokeEntry{flag: u, kid: kid})
			continue
		}
		e, err := lookupRef(ctx, led, "--unrevoke", u)
		switch {
		case err != nil:
			problems = append(problems, err.Error()+" (or give an id, GRANT:ID or a key id)")
		case e.Kind == ledger.KindRevocations:
			problems = append(problems, fmt.Sprintf("--unrevoke %s is a revocation list, not a license or grant", u))
		default:
			re := entryOf(e)
			re.flag = u
			ch.Unrevoke = append(ch.Unrevoke, re)
		}
	}
	if len(problems) > 0 {
		return problemsError("cannot sign the revocation list, nothing was signed", problems, "'licet ledger list' shows the ids and orders")
	}
	return nil
}

// lookupRef finds a ledger entry by id, unique id prefix or order
// reference.
func lookupRef(ctx context.Context, led *ledger.Ledger, flag, ref string) (*ledger.Entry, error) {
	e, err := led.Get(ctx, ref)
	var ae *ledger.AmbiguousError
	switch {
	case err == nil:
		return e, nil
	case errors.As(err, &ae):
		return nil, fmt.Errorf("%s %s: matches %d entries (%s): give more digits", flag, ref, len(ae.Matches), strings.Join(ae.Matches, ", "))
	}
	if o, oerr := led.ByOrder(ctx, ref); oerr == nil {
		return o, nil
	} else if !errors.Is(oerr, ledger.ErrNotFound) {
		return nil, fmt.Errorf("%s %s: %s", flag, ref, strings.TrimPrefix(oerr.Error(), "ledger: "))
	}
	return nil, fmt.Errorf("%s %s: no such license, grant or order in the ledger %s", flag, ref, led.Location())
}

// entryOf is the list entry that revokes a license or grant of the
// ledger.
func entryOf(e *ledger.Entry) revokeEntry {
	re := revokeEntry{flag: e.ID, id: hexBytesOf(e.ID), ledgerRef: e.ID}
	switch {
	case e.Kind == ledger.KindGrant:
		re.resolvedAs = fmt.Sprintf("grant %s (partner %s)", e.ID, e.Partner)
	case e.GrantID != "":
		re.grant = hexBytesOf(e.GrantID)
		re.resolvedAs = fmt.Sprintf("license %s of %s under grant %s (partner %s)", e.ID, e.Subject, e.GrantID, e.Partner)
	default:
		re.resolvedAs = fmt.Sprintf("license %s of %s", e.ID, e.Subject)
	}
	if e.OrderRef != "" {
		re.resolvedAs += ", order " + e.OrderRef
	}
	return re
}

func hexBytesOf(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

// expiredIn reports whether the ledger holds the license or grant that e
// names and it has expired: dropping its entry then changes nothing for
// any product (FORMAT section 6: issuers drop an entry only after the
// token it names has expired).
func expiredIn(led *ledger.Ledger, e revokeEntry, now time.Time) bool {
	if e.kid != nil {
		return false
	}
	le, err := led.Get(context.Background(), hex.EncodeToString(e.id))
	return err == nil && le.Kind != ledger.KindRevocations && !le.Perpetual() && le.Expiry.Before(now)
}

// revokeRequest is one revoke: the issuer's next list.
type revokeRequest struct {
	Issuer string
	// Signer is the public key of the key that signs the new list.
	Signer ed25519.PublicKey
	Change *revokeChange
	// From, when set, is a list to extend (any form); FromName names it.
	From     []byte
	FromName string

	IssuedAt, NextUpdate time.Time
}

// revokePlan is the list to sign and what it is based on.
type revokePlan struct {
	List *token.Revocations // not yet signed
	// Base is the list extended; nil for a first list.
	Base  *token.Revocations
	Notes []string // what was kept, revoked and dropped
}

// recordedList is a revocation list in the ledger.
type recordedList struct {
	Entry *ledger.Entry
	List  *token.Revocations
}

// newestList returns the newest list of issuer recorded in led (the
// highest seq; the later recorded of two with one seq), nil when there is
// none.
func newestList(ctx context.Context, led *ledger.Ledger, issuer string) (*recordedList, error) {
	entries, err := led.List(ctx, ledger.Filter{Kind: ledger.KindRevocations})
	if err != nil {
		return nil, failure(fmt.Errorf("reading the ledger %s: %s", led.Location(), strings.TrimPrefix(err.Error(), "ledger: ")), ledgerHint)
	}
	var newest *recordedList
	for _, e := range entries {
		if e.Issuer != issuer {
			continue
		}
		m, err := token.ParseMessage(e.Raw)
		if err != nil {
			return nil, failure(fmt.Errorf("the revocation list %s in the ledger does not parse: %s", e.ID, strings.TrimPrefix(err.Error(), "token: ")), "'licet ledger verify' checks the ledger")
		}
		r, err := token.DecodeRevocations(m.Payload)
		if err != nil {
			return nil, failure(fmt.Errorf("the revocation list %s in the ledger does not parse: %s", e.ID, strings.TrimPrefix(err.Error(), "token: ")), "'licet ledger verify' checks the ledger")
		}
		if newest == nil || r.Seq >= newest.List.Seq {
			newest = &recordedList{Entry: e, List: r}
		}
	}
	return newest, nil
}

// logKey returns the public key recorded with the log of kid, or def.
func logKey(ctx context.Context, led *ledger.Ledger, kid string, def ed25519.PublicKey) (ed25519.PublicKey, error) {
	logs, err := led.Logs(ctx)
	if err != nil {
		return nil, failure(fmt.Errorf("reading the ledger %s: %s", led.Location(), strings.TrimPrefix(err.Error(), "ledger: ")), ledgerHint)
	}
	for _, g := range logs {
		if g.KID == kid && g.PublicKey != nil {
			return g.PublicKey, nil
		}
	}
	return def, nil
}

// listID is the ledger id of a revocation list: a hash of its raw bytes.
func listID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:token.IDSize])
}

// planRevocations builds the issuer's next list: the newest list recorded
// in led (or req.From when the ledger holds none), seq + 1, every entry
// kept, the change applied. Nothing is signed.
func planRevocations(ctx context.Context, led *ledger.Ledger, req *revokeRequest) (*revokePlan, error) {
	ch := req.Change
	newest, err := newestList(ctx, led, req.Issuer)
	if err != nil {
		return nil, err
	}
	r := &token.Revocations{Issuer: req.Issuer, IssuedAt: req.IssuedAt, NextUpdate: req.NextUpdate, Seq: 1}
	plan := &revokePlan{List: r}
	var base []byte
	basePub := req.Signer
	if newest != nil {
		base = newest.Entry.Raw
		if basePub, err = logKey(ctx, led, newest.Entry.KID, req.Signer); err != nil {
			return nil, err
		}
		plan.Base = newest.List
	}
	if req.From != nil {
		raw, err := checkFrom(ctx, led, req, newest)
		if err != nil {
			return nil, err
		}
		if newest == nil {
			base = raw
		}
	}
	if base != nil {
		if err := r.Extend(base, basePub); err != nil {
			name := "the newest list in the ledger"
			if newest == nil {
				name = "--from " + req.FromName
			}
			return nil, failure(fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "token: ")), "")
		}
		if plan.Base == nil {
			m, _, _ := token.Decode(base)
			plan.Base, _ = token.DecodeRevocations(m.Payload)
		}
		n := len(plan.Base.IDs) + len(plan.Base.KeyIDs)
		for _, g := range plan.Base.Granted {
			n += len(g.IDs)
		}
		plan.Notes = append(plan.Notes, fmt.Sprintf("extending revocation list seq %d of %s (%d entries kept)", plan.Base.Seq, req.Issuer, n))
	}
	plan.Notes = append(plan.Notes, ch.Notes...)
	if err := revokeOrDrop(r, ch, plan); err != nil {
		return nil, err
	}
	return plan, nil
}

// checkFrom checks the --from list and returns it raw. When the ledger
// holds no list of the issuer, it must be a list of the issuer signed by
// the signing key: it is then the list extended. Otherwise it must be a
// list recorded in the ledger (the newest is extended, which holds what
// the older ones did unless --unrevoke dropped it).
func checkFrom(ctx context.Context, led *ledger.Ledger, req *revokeRequest, newest *recordedList) ([]byte, error) {
	fail := func(err error, hint string) error {
		return failure(fmt.Errorf("--from %s: %s", req.FromName, strings.TrimPrefix(err.Error(), "token: ")), hint)
	}
	m, _, err := token.Decode(req.From)
	if err != nil {
		return nil, fail(err, "")
	}
	if newest != nil && listID(m.Raw) == newest.Entry.ID {
		return m.Raw, nil
	}
	probe := &token.Revocations{Issuer: req.Issuer}
	if err := probe.Extend(req.From, req.Signer); err != nil {
		return nil, fail(err, "--from takes a list written by 'licet revoke' with the same --key")
	}
	if newest == nil {
		return m.Raw, nil
	}
	if e, err := led.Get(ctx, listID(m.Raw)); err == nil && e.Kind == ledger.KindRevocations {
		return m.Raw, nil
	}
	if seq := probe.Seq - 1; seq > newest.List.Seq {
		return nil, fail(fmt.Errorf("it holds revocation list seq %d of %s, newer than the ledger's newest (seq %d): it was not signed from this ledger", seq, req.Issuer, newest.List.Seq),
			"revoke with the ledger that signed it (--ledger, LICET_LEDGER)")
	}
	return nil, fail(fmt.Errorf("it is not a list recorded in the ledger %s, whose newest list of %s (seq %d) revoke extends", led.Location(), req.Issuer, newest.List.Seq),
		"leave out --from: revoke extends the ledger's newest list")
}

// revokeOrDrop adds the change to r (already extended) and takes the
// --unrevoke entries off it, noting what it dropped.
func revokeOrDrop(r *token.Revocations, ch *revokeChange, plan *revokePlan) error {
	for _, u := range ch.Unrevoke {
		if ch.revokes(u) {
			return usageError("", "--unrevoke %s: the same command revokes it", u.flag)
		}
	}
	r.IDs = append(r.IDs, ch.IDs...)
	r.KeyIDs = append(r.KeyIDs, ch.KeyIDs...)
	r.Granted = append(r.Granted, ch.Granted...)
	var problems []string
	for _, u := range ch.Unrevoke {
		dropped, err := dropEntry(r, u)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		plan.Notes = append(plan.Notes, fmt.Sprintf("unrevoking %s: dropped from the list", dropped))
	}
	if len(problems) > 0 {
		return problemsError("cannot sign the revocation list, nothing was signed", problems, "'licet verify --revocations FILE' or 'licet inspect' shows the list's entries")
	}
	return nil
}

// revokes reports whether the change revokes e.
func (ch *revokeChange) revokes(e revokeEntry) bool {
	has := func(list [][]byte, b []byte) bool {
		return slices.ContainsFunc(list, func(x []byte) bool { return bytes.Equal(x, b) })
	}
	switch {
	case e.kid != nil:
		return has(ch.KeyIDs, e.kid)
	case e.grant != nil:
		return slices.ContainsFunc(ch.Granted, func(g token.GrantIDs) bool { return bytes.Equal(g.Grant, e.grant) && has(g.IDs, e.id) })
	}
	return has(ch.IDs, e.id) || slices.ContainsFunc(ch.Granted, func(g token.GrantIDs) bool { return has(g.IDs, e.id) })
}

// dropEntry takes e off r and says what it dropped. A bare id that is
// both a plain entry and under a grant, or under two grants, is
// ambiguous.
func dropEntry(r *token.Revocations, e revokeEntry) (string, error) {
	del := func(list [][]byte, b []byte) ([][]byte, bool) {
		out := slices.DeleteFunc(slices.Clone(list), func(x []byte) bool { return bytes.Equal(x, b) })
		return out, len(out) != len(list)
	}
	if e.kid != nil {
		var ok bool
		if r.KeyIDs, ok = del(r.KeyIDs, e.kid); !ok {
			return "", fmt.Errorf("--unrevoke %s: key %x is not on the list", e.flag, e.kid)
		}
		return "key " + hex.EncodeToString(e.kid), nil
	}
	// A bare id from the ledger names a license not minted under a
	// grant (or a grant): only the plain entry. A bare id typed in names
	// any entry with that id, and must name one.
	anyGrant := e.grant == nil && e.ledgerRef == ""
	_, plain := del(r.IDs, e.id)
	plain = plain && e.grant == nil
	var grants [][]byte
	for _, g := range r.Granted {
		if _, ok := del(g.IDs, e.id); ok && (anyGrant || bytes.Equal(g.Grant, e.grant)) {
			if !slices.ContainsFunc(grants, func(x []byte) bool { return bytes.Equal(x, g.Grant) }) {
				grants = append(grants, g.Grant)
			}
		}
	}
	switch n := len(grants) + map[bool]int{true: 1}[plain]; {
	case n == 0 && e.grant != nil:
		return "", fmt.Errorf("--unrevoke %s: license %x under grant %x is not on the list", e.flag, e.id, e.grant)
	case n == 0:
		return "", fmt.Errorf("--unrevoke %s: id %x is not on the list", e.flag, e.id)
	case n > 1:
		var names []string
		if plain {
			names = append(names, hex.EncodeToString(e.id))
		}
		for _, g := range grants {
			names = append(names, fmt.Sprintf("%x:%x", g, e.id))
		}
		return "", fmt.Errorf("--unrevoke %s: the list holds id %x %d times (%s): give GRANT:ID, or the id alone for the entry without a grant", e.flag, e.id, n, strings.Join(names, ", "))
	}
	if plain {
		r.IDs, _ = del(r.IDs, e.id)
		return "id " + hex.EncodeToString(e.id), nil
	}
	var kept []token.GrantIDs
	for _, g := range r.Granted {
		if bytes.Equal(g.Grant, grants[0]) {
			g.IDs, _ = del(g.IDs, e.id)
		}
		if len(g.IDs) > 0 {
			kept = append(kept, g)
		}
	}
	r.Granted = kept
	return fmt.Sprintf("license %x under grant %x", e.id, grants[0]), nil
}

// checkNotNewer refuses to write over a file holding a list of issuer
// newer than base (the list extended, nil for none), even with --force:
// replacing it would un-revoke what only it revokes. A file that is not
// such a list is left to the --force rule.
func checkNotNewer(out, issuer string, base *token.Revocations) error {
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
	u, err := token.ParseUnverified(data)
	if err != nil || u.Revocations == nil || u.Revocations.Issuer != issuer {
		return nil
	}
	var seq uint64
	have := "the ledger holds no list of " + issuer
	if base != nil {
		seq, have = base.Seq, fmt.Sprintf("the ledger's newest is seq %d", base.Seq)
	}
	if u.Revocations.Seq <= seq {
		return nil
	}
	hint := "revoke with the ledger that signed it (--ledger, LICET_LEDGER)"
	if base == nil {
		hint += ", or extend it: --from " + out
	}
	return failure(fmt.Errorf("%s holds revocation list seq %d of %s, newer than the ledger's (%s): not overwriting it, even with --force, since that would un-revoke what only it revokes; nothing was signed",
		out, u.Revocations.Seq, issuer, have), hint)
}
