package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"github.com/spf13/cobra"
)

type verifyFlags struct {
	pubs                             []string
	keyring, product, productVersion string
	scopes, bind                     []string
	at, leeway, buildDate            string
	revocations                      []string
	asJSON, strictRevocations        bool
	bindMachine, strict              bool
}

// verdictJSON is the output of verify --json: one object, also when the
// license is rejected (then license is null and code is set).
type verdictJSON struct {
	Type        string           `json:"type"`
	Valid       bool             `json:"valid"`
	Code        string           `json:"code"`
	Message     string           `json:"message"`
	Detail      string           `json:"detail"`
	InGrace     bool             `json:"in_grace"`
	Fallback    bool             `json:"fallback"`
	Warnings    []string         `json:"warnings"`
	Unchecked   []string         `json:"unchecked"`
	License     *licenseJSON     `json:"license"`
	Grant       *grantRefJSON    `json:"grant"`
	Revocations *revocationsJSON `json:"revocations"`
}

// grantRefJSON names the grant a verified license was issued under, or
// the grant verified.
type grantRefJSON struct {
	Partner string `json:"partner"`
	ID      string `json:"id"`
	Expires string `json:"expires"`
	KID     string `json:"kid"`
	// Site is the site claim of a site grant, whose licenses are leases.
	Site *siteJSON `json:"site,omitempty"`
}

// verifyLong is the help text of verify.
const verifyLong = `Verify a license against trusted public keys, offline: signature, key,
issuer, product, validity period, version, binding and scopes, in the order
of the format's section 8.

Trusted keys come from --pub (PEM public key files, repeatable; the issuer
is the file's "# issuer:" comment, as 'licet keys new' writes it: a file
without one, such as openssl's, names no issuer and the issuer check is
skipped) or from --keyring (which names the issuer of each key). Without --product any product is accepted, without
--product-version version constraints are not checked, without --bind
binding entries are not checked: the summary says what was not checked.

--bind-machine checks a license bound to this machine ('licet activate
request' and 'licet mint --from-request'): it computes this machine's
fingerprint for --product (which it needs) the way the product does
(LICET_MACHINE_ID, /etc/machine-id, /var/lib/dbus/machine-id, the host
name) and passes it as the host binding. A license bound to another
machine is rejected (binding_mismatch); an unbound license stays valid.

A grant or a revocation list is checked too when none of the license flags
(--product, --product-version, --scope, --bind, --bind-machine) is given,
and the verdict says which it is ("valid grant", "valid revocation list";
JSON "type"): signed by a trusted key (whose issuer it must carry), within
its time window (a grant: not before its start, not past its expiry; a
list: not issued in the future; a list past its next update is stale, a
warning, or a rejection with --strict-revocations), a grant not revoked by
--revocations. The summary shows the grant's partner and terms, or the
list's seq and next update. With a license flag, only a license is valid:
a grant or list is rejected (wrong_type), so that a script that checks a
license for its product never takes a grant for one.

--build-date gives the release date of the product build being checked,
for licenses with perpetual fallback ('licet mint --perpetual-fallback'):
such a license, past its expiry and grace, stays valid for a build released
at or before its expiry (exit 0, "valid, by perpetual fallback", with a
warning that updates released after the expiry are not covered). Without
--build-date, or for a later build, it is expired as any license.

--strict rejects (exit 1) what would otherwise only be listed as not
checked: an issuer that no trusted key names (a --pub file without an
"# issuer:" comment), a
version constraint without --product-version, a binding without --bind or
--bind-machine. The message names each.

Exit codes: 0 valid (also in its grace period or by perpetual fallback,
with a warning on stderr),
1 rejected, 2 usage or I/O error. The output is one verdict line, "valid"
or "rejected: CODE: REASON", and a short summary; --json prints one object.
DATE is YYYY-MM-DD (its start for --at and --build-date), RFC 3339, unix seconds or a
DURATION from now; DURATION is a number and a unit (5m, 36h, 2d).`

func newVerifyCmd(a *app) *cobra.Command {
	var fl verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [TOKEN|FILE|-] (--pub FILE... | --keyring FILE) [flags]",
		Short: "Verify a license offline",
		Long:  verifyLong,
		Example: `  licet verify license.pem --pub acme.pub --product acme-db --product-version 3.2.0 --scope api:read
  licet verify licet1.0oRYK6MBJgRI... --keyring trusted.json --product acme-db
  cat license.txt | licet verify - --pub acme.pub --product acme-db --json
  licet verify license.pem --pub acme.pub --at 2027-01-01T00:00:00Z --bind host=3f2a9c
  licet verify customer-42.lic --pub acme.pub --product acme-db --bind-machine
  LICET_MACHINE_ID=cluster-7 licet verify customer-42.lic --pub acme.pub --product acme-db --bind-machine
  licet verify globex.grant --keyring trusted.json --product acme-db     # a grant
  licet verify revoked.pem --keyring trusted.json --strict-revocations   # a revocation list
  licet verify license.pem --keyring trusted.json --product acme-db --strict
  licet verify license.pem --pub acme.pub --product acme-db --build-date 2026-03-14   # perpetual fallback`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeFiles,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.verify(args, &fl)
		}),
	}
	f := cmd.Flags()
	f.StringArrayVar(&fl.pubs, "pub", nil, "trusted public key `FILE` (PEM; repeatable)")
	f.StringVar(&fl.keyring, "keyring", "", "trusted keyring `FILE` (from 'licet keys trust add')")
	f.StringVar(&fl.product, "product", "", "this product's `ID`: the license's aud must name it")
	f.StringVar(&fl.productVersion, "product-version", "", "this product's `VERSION`, checked against the license's constraint")
	f.StringArrayVar(&fl.scopes, "scope", nil, "required `SCOPE` (repeatable)")
	f.StringArrayVar(&fl.bind, "bind", nil, "this machine's binding `KEY=VALUE` (repeatable)")
	f.BoolVar(&fl.bindMachine, "bind-machine", false, "check the binding to this machine: its fingerprint for --product as host=FINGERPRINT")
	f.StringVar(&fl.at, "at", "", "verify as of `DATE` instead of now")
	f.StringVar(&fl.leeway, "leeway", "", "tolerated clock skew `DURATION` (default 5m)")
	f.StringVar(&fl.buildDate, "build-date", "", "release `DATE` of the product build, for licenses with perpetual fallback")
	f.StringArrayVar(&fl.revocations, "revocations", nil, "signed revocation list `FILE`: revoked licenses, grants and keys are rejected; one list per issuer, several in one file or with a repeated flag (each applies to its own issuer's licenses)")
	f.BoolVar(&fl.strictRevocations, "strict-revocations", false, "reject (revoked) when the revocation list is stale, instead of warning")
	f.BoolVar(&fl.strict, "strict", false, "reject when the issuer, a version constraint or a binding could not be checked")
	f.BoolVar(&fl.asJSON, "json", false, "print one JSON object")
	_ = cmd.MarkFlagFilename("revocations")
	_ = cmd.MarkFlagFilename("pub", "pub", "pem")
	_ = cmd.MarkFlagFilename("keyring", "json")
	return cmd
}

// keySet builds the trusted keys from --pub files or a --keyring. A --pub
// key's issuer is its file's "# issuer:" comment; named reports whether
// every key names an issuer.
func keySet(pubs []string, keyring string) (ks *verify.KeySet, named bool, err error) {
	if keyring != "" {
		s, _, err := loadKeyring(keyring, false)
		if err != nil {
			return nil, false, err
		}
		ks, err := s.KeySet()
		if err != nil {
			return nil, false, usageError("", "%s: %v", keyring, err)
		}
		if ks.Len() == 0 {
			return nil, false, usageError(fmt.Sprintf("add the vendor's key: licet keys trust add --keyring %s VENDOR.pub", keyring),
				"%s holds no keys", keyring)
		}
		return ks, true, nil
	}
	var list []verify.Key
	named = true
	for _, p := range pubs {
		data, err := readFile(p, "a public key file", maxKeyFileSize)
		if err != nil {
			return nil, false, err
		}
		pub, err := keys.ParsePublicKey(data)
		if err != nil {
			hint := "--pub takes a PEM public key file (ID.pub from 'licet keys new', or openssl's)"
			if info, ierr := keys.ReadKeyInfo(data); ierr == nil && info.Private {
				hint = "this is a private key: give verify the public key file (ID.pub), and keep the private key with the vendor"
			}
			return nil, false, usageError(hint, "%s: %v", p, err)
		}
		list = append(list, verify.Key{PublicKey: pub.Key, Issuer: pub.Issuer})
		named = named && pub.Issuer != ""
	}
	ks, err = verify.NewKeySet(list...)
	if err != nil {
		return nil, false, usageError("give each public key once", "%v", err)
	}
	return ks, named, nil
}

// loadRevocations reads a file of one or more revocation lists (one per
// issuer) and checks that trusted keys signed them. Any problem is exit
// code 2: the license was not judged.
func loadRevocations(path string, ks *verify.KeySet) ([]*verify.RevocationList, error) {
	data, err := readTokenFile(path, "a revocation list", token.MaxObjects*token.MaxTokenSize+1)
	if err != nil {
		return nil, err
	}
	lists, err := verify.ParseRevocations(data, ks)
	if err != nil {
		msg := err.Error()
		var verr *verify.Error
		if errors.As(err, &verr) {
			msg = verr.Message
			if verr.Err != nil {
				msg += ": " + strings.TrimPrefix(verr.Err.Error(), "token: ")
			}
		}
		return nil, usageError("the list must be a revocation list signed by a trusted vendor key (--pub or --keyring)",
			"%s: refusing the revocation list: %s", path, msg)
	}
	return lists, nil
}

// verifySetup is what verify needs besides the token: the options, what
// is not checked, the trusted keys, the revocation lists, the time, and
// this machine's request for --bind-machine.
type verifySetup struct {
	opts      []verify.Option
	unchecked []string
	ks        *verify.KeySet
	revs      []*verify.RevocationList
	now       time.Time
	buildDate time.Time // --build-date; zero: none
	here      *machine.ActivationRequest
}

// verifierOptions turns the flags into options, and lists what is not
// checked. s.here is this machine's activation request for --product when
// --bind-machine is set (nil without --product, which is then a problem).
func verifierOptions(fl *verifyFlags, s *verifySetup) error {
	var problems []string
	switch {
	case len(fl.pubs) == 0 && fl.keyring == "":
		problems = append(problems, "no trusted keys: give --pub FILE (repeatable) or --keyring FILE")
	case len(fl.pubs) > 0 && fl.keyring != "":
		problems = append(problems, "give either --pub or --keyring, not both")
	}
	s.addOption(fl.product != "", verify.WithProduct(fl.product), verify.AnyProductInsecure(), "product")
	s.addOption(fl.productVersion != "", verify.WithProductVersion(fl.productVersion), verify.AnyVersionInsecure(), "version")
	bind, p := bindingFlags(fl, s.here)
	problems = append(problems, p...)
	s.addOption(len(bind) > 0, verify.WithBinding(bind), verify.AnyBindingInsecure(), "binding")
	problems = append(problems, checkScopes("scope", fl.scopes)...)
	for _, sc := range fl.scopes {
		if token.ValidScope(sc) && token.IsPattern(sc) {
			problems = append(problems, fmt.Sprintf("--scope %q is a pattern: name the one scope this product needs", sc))
		}
	}
	problems = append(problems, clockOptions(fl, s)...)
	if len(problems) > 0 {
		return problemsError("verify", problems, "see 'licet verify --help'")
	}
	return nil
}

// addOption adds the option of a check, or its insecure opposite and the
// name of the check to what is not checked.
func (s *verifySetup) addOption(checked bool, opt, insecure verify.Option, name string) {
	if checked {
		s.opts = append(s.opts, opt)
		return
	}
	s.opts = append(s.opts, insecure)
	s.unchecked = append(s.unchecked, name)
}

// bindingFlags returns the binding of --bind and --bind-machine.
func bindingFlags(fl *verifyFlags, here *machine.ActivationRequest) (map[string]string, []string) {
	bind, problems := parsePairs("bind", fl.bind)
	if !fl.bindMachine {
		return bind, problems
	}
	switch {
	case fl.product == "" || here == nil:
		problems = append(problems, "--bind-machine needs --product: the machine fingerprint is computed for one product")
	case hasKey(bind, machine.BindingKey) && bind[machine.BindingKey] != here.Fingerprint:
		problems = append(problems, fmt.Sprintf("--bind %s=%s conflicts with --bind-machine, which gives %s=%s: give one of them",
			machine.BindingKey, bind[machine.BindingKey], machine.BindingKey, here.Fingerprint))
	default:
		if bind == nil {
			bind = make(map[string]string, 1)
		}
		bind[machine.BindingKey] = here.Fingerprint
	}
	return bind, problems
}

// clockOptions reads --at, --leeway, --build-date and --strict-revocations.
func clockOptions(fl *verifyFlags, s *verifySetup) []string {
	var problems []string
	if fl.at != "" {
		t, err := parseDate(fl.at, true, s.now)
		if err != nil {
			problems = append(problems, "--at "+err.Error())
		} else {
			s.now = t
			s.opts = append(s.opts, verify.WithClock(func() time.Time { return t }))
		}
	}
	if fl.leeway != "" {
		d, err := parseDuration(fl.leeway)
		if err != nil {
			problems = append(problems, "--leeway "+err.Error())
		} else {
			s.opts = append(s.opts, verify.WithLeeway(d))
		}
	}
	if fl.buildDate != "" {
		t, err := parseDate(fl.buildDate, true, s.now)
		if err != nil {
			problems = append(problems, "--build-date "+err.Error())
		} else {
			s.buildDate = t
			s.opts = append(s.opts, verify.WithBuildDate(t))
		}
	}
	if fl.strictRevocations { // with --revocations, or on a revocation list (verify checks which)
		s.opts = append(s.opts, verify.RejectStaleRevocations())
	}
	return problems
}

// rejectionHint says what to do about a rejection, when something helps.
func rejectionHint(verr *verify.Error, fl *verifyFlags) string {
	switch verr.Code {
	case verify.CodeUnknownKey:
		return "the license was signed by a key you do not trust: check --pub/--keyring (licet inspect shows the license's key id)"
	case verify.CodeWrongIssuer:
		return "the key is trusted for another issuer: check the keyring entry (licet keys trust list)"
	case verify.CodeVersionNotCovered:
		if fl.productVersion == "" {
			return "the license has a version constraint: pass --product-version"
		}
	case verify.CodeBindingMismatch:
		if fl.bindMachine && verr.Detail == machine.BindingKey {
			return fmt.Sprintf("the license is bound to another machine (or another %s): run 'licet activate request --product %s' here and ask the vendor for a license from that request",
				machine.IDEnv, fl.product)
		}
		return "the license is bound to another machine: check --bind, or ask the vendor for a license for this machine"
	case verify.CodeExpired:
		if strings.Contains(verr.Message, "no build date was given") {
			return "the license has perpetual fallback: pass --build-date with the release date of the build it is for"
		}
		return "ask the vendor for a renewed license"
	case verify.CodeMalformed:
		return "the token is damaged or not a licet token: check that it was copied whole"
	case codeUnchecked:
		return "give what --strict asks for, or leave --strict out to accept the license with these checks skipped"
	}
	return ""
}

func (a *app) verify(args []string, fl *verifyFlags) error {
	s, err := a.verifySetup(fl)
	if err != nil {
		return err
	}
	data, _, err := a.readToken(args)
	if err != nil {
		return err
	}
	typ := tokenType(data)
	if fl.strictRevocations && len(fl.revocations) == 0 && typ != token.TypeRevocations {
		return problemsError("verify", []string{"--strict-revocations needs --revocations FILE (or a revocation list to verify)"}, "see 'licet verify --help'")
	}
	if (typ == token.TypeGrant || typ == token.TypeRevocations) && !licenseFlags(fl) {
		return a.verifyOther(typ, data, fl, s)
	}
	v, err := verify.New(s.ks, s.opts...)
	if err != nil {
		return usageError("see 'licet verify --help'", "%s", strings.TrimPrefix(err.Error(), "verify: "))
	}
	lic, err := v.Verify(data, fl.scopes...)
	var verr *verify.Error
	if err != nil && !errors.As(err, &verr) {
		return failure(err, "")
	}
	out := verdictJSON{Type: "license", Warnings: []string{}, Unchecked: nonNil(s.unchecked)}
	if err == nil && fl.strict {
		verr = strictError(strictLicense(lic, s))
	}
	if verr != nil {
		return a.reject(&out, verr, fl)
	}
	a.fillLicenseVerdict(&out, lic)
	for _, w := range out.Warnings {
		a.warn("%s", w)
	}
	if fl.asJSON {
		return writeJSON(a.stdout, out)
	}
	a.printLicenseSummary(lic, fl, s)
	return nil
}

// verifySetup reads everything verify needs besides the token.
func (a *app) verifySetup(fl *verifyFlags) (*verifySetup, error) {
	s := &verifySetup{now: a.now()}
	if fl.bindMachine && fl.product != "" {
		var err error
		if s.here, err = a.machineRequest(fl.product); err != nil {
			return nil, err
		}
	}
	if err := verifierOptions(fl, s); err != nil {
		return nil, err
	}
	ks, named, err := keySet(fl.pubs, fl.keyring)
	if err != nil {
		return nil, err
	}
	s.ks = ks
	if !named {
		s.unchecked = append([]string{"issuer"}, s.unchecked...)
	}
	for _, path := range fl.revocations {
		lists, err := loadRevocations(path, s.ks)
		if err != nil {
			return nil, err
		}
		s.revs = append(s.revs, lists...)
	}
	if len(s.revs) > 0 {
		s.opts = append(s.opts, verify.WithRevocations(s.revs...))
	}
	return s, nil
}

// reject prints a rejection verdict and ends with exit code 1.
func (a *app) reject(out *verdictJSON, verr *verify.Error, fl *verifyFlags) error {
	out.Valid, out.License, out.Grant, out.Revocations = false, nil, nil, nil
	out.Code, out.Message, out.Detail = string(verr.Code), verr.Message, verr.Detail
	if verr.Err != nil {
		out.Message += ": " + strings.TrimPrefix(verr.Err.Error(), "token: ")
	}
	if fl.asJSON {
		if err := writeJSON(a.stdout, out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "rejected: %s: %s\n", out.Code, safeText(out.Message))
	}
	return &exitError{code: exitRejected, hint: rejectionHint(verr, fl)}
}

// fillLicenseVerdict fills the verdict of a valid license.
func (a *app) fillLicenseVerdict(out *verdictJSON, lic *verify.License) {
	out.Valid, out.Message, out.InGrace, out.Fallback = true, "valid", lic.InGrace, lic.Fallback
	if lic.Fallback {
		out.Message = "valid, by perpetual fallback"
	}
	if lic.InGrace {
		out.Message = "valid, in its grace period"
		out.Warnings = append(out.Warnings, fmt.Sprintf("license expired at %s and is in its grace period until %s: renew it",
			rfc3339(lic.Claims.Expiry), rfc3339(lic.Claims.Expiry.Add(lic.Claims.Grace))))
	}
	out.Warnings = append(out.Warnings, lic.Warnings...)
	out.License = newLicenseJSON(lic.Claims, lic.KeyID)
	out.License.Lease = newLeaseJSON(lic.Claims, lic.Grant)
	if lic.Grant != nil {
		out.Grant = &grantRefJSON{
			Partner: lic.Grant.Subject, ID: hex.EncodeToString(lic.Grant.ID),
			Expires: rfc3339(lic.Grant.Expiry), KID: hex.EncodeToString(lic.GrantKeyID),
			Site: newSiteJSON(lic.Grant.Site),
		}
	}
}

// printLicenseSummary prints "valid" and the summary of a valid license.
func (a *app) printLicenseSummary(lic *verify.License, fl *verifyFlags, s *verifySetup) {
	f := newFields(a.stdout, "  ")
	if lic.Fallback {
		fmt.Fprintln(a.stdout, "valid, by perpetual fallback")
		f.add("fallback", fmt.Sprintf("expired at %s; valid for this build (released %s): updates released after the expiry are not covered",
			rfc3339(lic.Claims.Expiry), rfc3339(s.buildDate)))
	} else {
		fmt.Fprintln(a.stdout, "valid")
	}
	if lic.InGrace {
		f.add("in grace", fmt.Sprintf("expired at %s, verifies until %s", rfc3339(lic.Claims.Expiry), rfc3339(lic.Claims.Expiry.Add(lic.Claims.Grace))))
	}
	f.add("licensee", safeText(lic.Claims.Subject))
	f.add("issuer", fmt.Sprintf("%s (key %x)", safeText(lic.Claims.Issuer), lic.KeyID))
	if lic.Grant != nil {
		f.add("under grant", fmt.Sprintf("%x from %s to partner %s, until %s", lic.Grant.ID, safeText(lic.Grant.Issuer), safeText(lic.Grant.Subject), rfc3339(lic.Grant.Expiry)))
		f.add("lease", leaseText(lic.Claims, lic.Grant))
		if lic.Grant.Site != nil {
			f.add("site", siteText(lic.Grant.Site))
		}
	}
	f.add("products", safeList(lic.Claims.Audience))
	f.add("tier", safeText(lic.Claims.Tier))
	f.add("scopes", safeList(lic.Claims.Scopes))
	f.add("versions", safeText(lic.Claims.Versions))
	f.add("limits", joinPairs(lic.Claims.Limits))
	f.add("rights", safeList(lic.Claims.Rights))
	f.add("expires", formatExpiry(lic.Claims.Expiry))
	f.add("license id", hex.EncodeToString(lic.Claims.ID))
	if s.here != nil {
		if _, bound := lic.Claims.Bind[machine.BindingKey]; bound {
			f.add("machine", fmt.Sprintf("bound to this machine (its %s fingerprint, machine id from %s)", fl.product, sourceText(s.here.Source)))
		} else {
			f.add("machine", "not bound to a machine")
		}
	}
	for _, list := range s.revs {
		if c := list.Claims(); c.Issuer == lic.Claims.Issuer || (lic.Grant != nil && c.Issuer == lic.Grant.Issuer) {
			f.add("revocations", fmt.Sprintf("not revoked (list seq %d of %s, next update %s)", c.Seq, c.Issuer, rfc3339(c.NextUpdate)))
		}
	}
	if len(s.unchecked) > 0 {
		f.add("checks", uncheckedText(s.unchecked))
	}
	f.flush()
}

func uncheckedText(list []string) string {
	why := map[string]string{
		"issuer":  "issuer not checked (a --pub file names none)",
		"product": "product not checked (no --product)",
		"version": "version not checked (no --product-version)",
		"binding": "binding not checked (no --bind)",
	}
	parts := make([]string, len(list))
	for i, u := range list {
		parts[i] = why[u]
	}
	return strings.Join(parts, "; ")
}
