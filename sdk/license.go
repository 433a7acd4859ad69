package sdk

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// ErrUnlicensed is the error of a nil *License (and of a License that did
// not come from [Load]): there is no license.
var ErrUnlicensed = errors.New("sdk: no license")

// noLicense is the view of a License that did not come from Load.
var noLicense = &snapshot{err: ErrUnlicensed, rank: -1}

// RevocationsError reports a revocation list file that cannot be used:
// unreadable, malformed, or not signed by a trusted key. Err is (or
// wraps) a *verify.Error when verification refused the list.
type RevocationsError struct {
	Path string
	Err  error
}

// Error names the file and why it cannot be used.
func (e *RevocationsError) Error() string {
	return fmt.Sprintf("sdk: revocation list %s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *RevocationsError) Unwrap() error { return e.Err }

// License is a handle on the license in effect for a product. [Load]
// returns it; [License.Watch] and [License.Reload] replace the license
// behind it without the product noticing. Its methods are safe for
// concurrent use, and cheap: [License.Allows] reads an atomic pointer and,
// for a license that expires, the clock.
//
// A nil *License, and a License whose Err is not nil, allow nothing:
// licensing problems deny access, they never crash the product.
type License struct {
	s   *settings
	cur atomic.Pointer[snapshot]
	rl  atomic.Pointer[rpmLimiter]
	// lease keeps a lease from Config.LeaseServer; nil without one.
	lease *leaser

	mu       sync.Mutex // serializes refresh; guards what follows
	st       *state     // nil until read (when StatePath is set)
	saved    *state     // what the state file holds, nil if never written or read
	revSig   fileSig
	revDone  bool                     // the lists (or the absence of any) were accepted once
	revs     []*verify.RevocationList // the lists in effect, one per issuer
	revErr   error                    // why no list could be accepted at all
	revProb  error                    // why the newest list was not taken (the previous one stays)
	revDrop  error                    // what the lists in effect drop (they stay revoked), nil if nothing
	stDirty  bool                     // l.st.Revoked changed since the state file was written
	stateErr error                    // why the state file could not be written
	ver      *verify.Verifier
	inputs   []input
	good     *found
	licProb  error // why the newest reload failed (the last good license stays)
	gen      uint64
}

// snapshot is what the fast path reads: immutable once stored.
type snapshot struct {
	lic        *verify.License // the last license that verified; nil if none
	where      string
	gen        uint64
	err        error     // not nil: nothing is allowed
	graceStart time.Time // exp + leeway; zero for a perpetual license
	deadline   time.Time // graceStart + grace
	fallback   bool      // perpetual fallback covers this build: the deadline ends nothing
	rank       int       // tier's place on the ladder, -1 if not on it
	warnings   []string
}

// live reports whether the snapshot allows anything at now.
func (s *snapshot) live(now time.Time) bool {
	return s.err == nil && s.lic != nil && !s.pastDeadline(now)
}

// pastDeadline reports whether the license's expiry and grace are over at
// now and no perpetual fallback keeps it in effect.
func (s *snapshot) pastDeadline(now time.Time) bool {
	return !s.deadline.IsZero() && !s.fallback && now.After(s.deadline)
}

// onFallback reports whether the license is in effect at now only by its
// perpetual fallback.
func (s *snapshot) onFallback(now time.Time) bool {
	return s.fallback && now.After(s.deadline)
}

// check returns why s allows nothing at now, nil if it allows.
func (s *snapshot) check(now time.Time) error {
	switch {
	case s.err != nil:
		return s.err
	case s.lic == nil:
		return ErrUnlicensed
	case s.pastDeadline(now):
		exp := s.lic.Claims.Expiry.UTC().Format(time.RFC3339)
		return &verify.Error{Code: verify.CodeExpired, Detail: exp, Message: "license expired at " + exp}
	}
	return nil
}

// Load finds, reads and verifies the product's license: Config.LicensePath,
// then the environment variable, then the license file in the user's
// configuration directory; the first that verifies wins. It also reads the
// revocation list and the state file when configured.
//
// When cfg itself is unusable, Load returns a nil License and a
// *[ConfigError]. Otherwise it always returns a License: with a nil error
// when a license is in effect, or unlicensed together with the reason
// (a *[LoadError] listing every place looked at, a *[ClockRollbackError],
// a *[ListRollbackError], a *[RevocationsError] or a *[StateError]). An
// unlicensed License allows nothing; [License.Watch] brings it to life as
// soon as a valid license is installed, so a product can start, serve what
// needs no license, and pick the license up without a restart.
//
// With Config.LeaseServer set, Load first takes a lease of a floating seat
// (see the package doc, Floating seats); the License must then be closed
// with [License.Close].
func Load(cfg Config) (*License, error) {
	s, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	l := &License{s: s}
	if s.cfg.LeaseServer != "" {
		l.lease = newLeaser(l)
		l.lease.start() // the first attempt refreshes l
	} else {
		l.refresh()
	}
	if err := l.cur.Load().err; err != nil {
		return l, err
	}
	return l, nil
}

// Reload re-reads the license places, the revocation list and the clock
// now, as one poll of [License.Watch] does, and returns what went wrong:
// the reason nothing is allowed, if so, and problems that left the last
// good license or list in place. It returns nil when all is well.
func (l *License) Reload() error {
	if l == nil || l.s == nil {
		return ErrUnlicensed
	}
	return errors.Join(l.refresh()...)
}

// refresh brings the handle up to date with the files and the clock. It
// returns the reason nothing is allowed, if any, first, then problems that
// left the last good state in place.
func (l *License) refresh() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.s.clock()

	deny := l.refreshLocked(now)
	if l.st != nil {
		// Every check raises the high-water mark, whatever its outcome:
		// a clock set back after the license expired (or after any
		// refusal) is a rollback too. A rollback itself raises nothing,
		// the clock being behind the mark.
		l.saveState(now)
	}
	snap := &snapshot{err: deny, gen: l.gen, rank: -1}
	if l.good != nil {
		lic := l.good.lic
		snap.lic, snap.where = lic, l.good.where
		if r, ok := l.s.ranks[lic.Claims.Tier]; ok {
			snap.rank = r
		}
		if !lic.Claims.Expiry.IsZero() {
			snap.graceStart = lic.Claims.Expiry.Add(l.s.leeway)
			snap.deadline = snap.graceStart.Add(lic.Claims.Grace)
			build := l.s.cfg.BuildDate
			snap.fallback = lic.Claims.Fallback && !build.IsZero() && !build.After(lic.Claims.Expiry)
		}
		snap.warnings = append(snap.warnings, lic.Warnings...)
		snap.warnings = append(snap.warnings, l.good.skipped...)
	}
	var problems []error
	var leaseProb error
	if l.lease != nil {
		leaseProb = l.lease.problem()
	}
	for _, p := range []error{l.licProb, l.revProb, l.revDrop, l.stateErr, leaseProb} {
		if p != nil {
			problems = append(problems, p)
			snap.warnings = append(snap.warnings, p.Error())
		}
	}
	if l.s.fpErr != nil {
		snap.warnings = append(snap.warnings, "no machine fingerprint: "+l.s.fpErr.Error())
	}
	l.cur.Store(snap)
	if deny != nil {
		return append([]error{deny}, problems...)
	}
	return problems
}

// refreshLocked does the work of refresh and returns why nothing is
// allowed, nil if the license in l.good is in effect.
func (l *License) refreshLocked(now time.Time) error {
	cfg := &l.s.cfg
	// The state file, once: it is kept in memory afterwards. Without a
	// state file the memory alone still catches a rollback while running.
	if l.st == nil {
		if cfg.StatePath == "" {
			l.st = &state{Version: stateVersion}
		} else {
			st, err := readState(cfg.StatePath)
			if err != nil {
				return err
			}
			l.st = st
			l.saved = &state{Version: st.Version, HighWater: st.HighWater, Seq: maps.Clone(st.Seq)}
		}
	}
	if hw := l.st.highWater(); !hw.IsZero() && now.Before(hw.Add(-l.s.tolerance)) {
		return &ClockRollbackError{Now: now, HighWater: hw, Tolerance: l.s.tolerance}
	}

	// The revocation list.
	verChanged := false
	if path := cfg.RevocationsPath; path != "" {
		data, sig, err := readFile(path, maxFileSize)
		// A refused file is looked at again on every poll: a list dated
		// in the future becomes good when the clock reaches it.
		if !l.revDone || sig != l.revSig || l.revErr != nil || l.revProb != nil {
			l.revSig = sig
			lists, drop, err := l.takeRevocations(path, data, err, now)
			switch {
			case err == nil:
				verChanged = true
				l.revs, l.revDone, l.revErr, l.revProb, l.revDrop = lists, true, nil, nil, drop
			case l.revDone:
				l.revProb = err // keep the list we have
			default:
				l.revErr = err
			}
		}
		if !l.revDone {
			return l.revErr
		}
	}
	if l.ver == nil || verChanged {
		v, err := l.s.verifier(l.revs)
		switch {
		case err != nil && len(l.revs) > 0:
			// The clock went back between takeRevocations and here.
			return &RevocationsError{Path: cfg.RevocationsPath, Err: err}
		case err != nil: // settings checked this configuration already
			return &ConfigError{"ProductVersion", err}
		}
		l.ver = v
		verChanged = true
	}

	// The license.
	in := l.s.gather()
	if l.lease != nil {
		in = append([]input{l.lease.input()}, in...)
	}
	changed := !sameSigs(in, l.inputs)
	l.inputs = in
	var goodErr error
	if l.good != nil && !changed && !verChanged {
		if goodErr = l.reverify(); goodErr == nil {
			return nil
		}
	}
	f, lerr := l.s.resolve(l.ver, in)
	switch {
	case lerr == nil:
		if l.good == nil || !bytes.Equal(f.raw, l.good.raw) && !sameLease(f, l.good) {
			l.gen++
		}
		l.good, l.licProb = f, nil
		return nil
	case l.good == nil:
		return lerr
	}
	// The reload failed; the last good license stays if it still verifies,
	// unless it is a lease no longer held (released, or forgotten by the
	// server): its seat may be someone else's now.
	if l.good.kind == KindLease && !l.lease.holds(l.good.raw) {
		l.good, l.licProb = nil, nil
		return lerr
	}
	if goodErr == nil {
		goodErr = l.reverify()
	}
	if goodErr != nil {
		l.licProb = nil
		return goodErr
	}
	if changed {
		l.licProb = fmt.Errorf("sdk: reload failed, keeping the license from %s: %w", l.good.where, lerr)
	}
	return nil
}

// sameLease reports whether a and b are tokens of one lease: a renewal
// (same lease id, new expiry) is not another license.
func sameLease(a, b *found) bool {
	return a.kind == KindLease && b.kind == KindLease && bytes.Equal(a.lic.Claims.ID, b.lic.Claims.ID)
}

// reverify checks the license in effect again, with the current clock and
// revocation list.
func (l *License) reverify() error {
	lic, err := l.ver.Verify(l.good.raw)
	if err != nil {
		return err
	}
	l.good.lic = lic
	return nil
}

// takeRevocations checks the revocation lists read from path: each signed
// by a trusted key, at most one per issuer, none issued after now (beyond
// the leeway), and none missing whose issuer was seen before. Revocation
// is monotonic (FORMAT section 6): each list is taken with every entry
// remembered for its issuer, so that no list un-revokes anything, whatever
// its seq and whoever signed it; what the lists drop is returned as a
// *ListDroppedError (drop), to report. Only when the state records a seq
// but no entries of an issuer (a state file of an earlier version) is a
// lower seq still refused. The state changes only when every list passes.
func (l *License) takeRevocations(path string, data []byte, readErr error, now time.Time) (lists []*verify.RevocationList, drop, err error) {
	if readErr != nil && !errors.Is(readErr, fs.ErrNotExist) {
		return nil, nil, &RevocationsError{Path: path, Err: readErr}
	}
	var parsed []*verify.RevocationList
	if readErr == nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, nil, &RevocationsError{Path: path, Err: errors.New("the file is empty: write a revocation list into it, or remove it")}
		}
		if parsed, err = verify.ParseRevocations(data, l.s.keys); err != nil {
			return nil, nil, &RevocationsError{Path: path, Err: err}
		}
	}
	for _, list := range parsed {
		iss := list.Claims().Issuer
		if iat := list.Claims().IssuedAt; iat.After(now.Add(l.s.leeway)) {
			return nil, nil, &RevocationsError{Path: path, Err: fmt.Errorf(
				"the list of issuer %q is issued at %s, after this machine's clock (%s): check the clock, or install a list issued before now",
				iss, iat.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
		}
		if seen, ok := l.st.Seq[iss]; ok && list.Claims().Seq < seen && l.st.Revoked[iss] == nil {
			return nil, nil, &ListRollbackError{Path: path, Issuer: iss, Seen: seen, Got: list.Claims().Seq}
		}
	}
	// An issuer whose list was seen must still have one: replacing the
	// file with another issuer's list, or removing it, would un-revoke.
	seenIssuers := slices.Sorted(maps.Keys(l.st.Seq))
	for iss := range l.st.Revoked {
		if _, ok := l.st.Seq[iss]; !ok {
			seenIssuers = append(seenIssuers, iss)
		}
	}
	for _, iss := range seenIssuers {
		if !slices.ContainsFunc(parsed, func(r *verify.RevocationList) bool { return r.Claims().Issuer == iss }) {
			return nil, nil, &ListRollbackError{Path: path, Issuer: iss, Seen: l.st.Seq[iss], Missing: true}
		}
	}
	records := make(map[string]*revoked, len(parsed))
	var drops []error
	for _, list := range parsed {
		iss := list.Claims().Issuer
		rec := &revoked{Listed: entries(list.Claims())}
		if rec.Listed == nil {
			rec.Listed = []string{}
		}
		if old := l.st.Revoked[iss]; old != nil {
			// Every entry remembered and not named by this list stays.
			kept := list.Dropped(old.all())
			if list, err = list.Including(kept); err != nil {
				return nil, nil, &StateError{l.s.cfg.StatePath, "read", err}
			}
			rec.Kept = entries(kept)
			// Reported once: the entries the previous list named.
			if d := minus(old.Listed, rec.Listed); len(d) > 0 {
				drops = append(drops, &ListDroppedError{Path: path, Issuer: iss, Seq: list.Claims().Seq, Seen: l.st.Seq[iss], Dropped: d})
			}
		}
		records[iss] = rec
		lists = append(lists, list)
	}
	for _, list := range lists {
		iss := list.Claims().Issuer
		if l.st.Seq == nil {
			l.st.Seq = make(map[string]uint64)
		}
		if seen, ok := l.st.Seq[iss]; !ok || list.Claims().Seq > seen {
			l.st.Seq[iss] = list.Claims().Seq
		}
		if l.st.Revoked == nil {
			l.st.Revoked = make(map[string]*revoked)
		}
		if old := l.st.Revoked[iss]; old == nil || !slices.Equal(old.Listed, records[iss].Listed) || !slices.Equal(old.Kept, records[iss].Kept) {
			l.st.Revoked[iss] = records[iss]
			l.stDirty = true
		}
	}
	switch len(drops) {
	case 0:
		return lists, nil, nil
	case 1:
		return lists, drops[0], nil
	}
	return lists, errors.Join(drops...), nil
}

// minus returns the strings of sorted a that sorted b does not hold.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found {
			out = append(out, x)
		}
	}
	return out
}

// saveState raises the high-water mark to now (and to the issue times of
// the license and list in effect) and writes the state file when it moved
// enough or a new revocation seq was seen. A state file that cannot be
// written is a problem to report (l.stateErr), not a reason to deny.
func (l *License) saveState(now time.Time) {
	hw := l.st.HighWater
	raise := func(t time.Time) {
		if u := t.Unix(); !t.IsZero() && u > hw {
			hw = u
		}
	}
	raise(now)
	if l.good != nil {
		raise(l.good.lic.Claims.IssuedAt)
	}
	for _, list := range l.revs {
		raise(list.Claims().IssuedAt)
	}
	l.st.HighWater = hw
	path := l.s.cfg.StatePath
	if path == "" {
		return
	}
	if s := l.saved; s != nil && maps.Equal(s.Seq, l.st.Seq) && !l.stDirty &&
		l.st.HighWater-s.HighWater < int64(stateGranularity/time.Second) {
		return
	}
	snap := &state{Version: stateVersion, HighWater: l.st.HighWater, Seq: maps.Clone(l.st.Seq), Revoked: maps.Clone(l.st.Revoked)}
	if err := writeState(path, snap); err != nil {
		l.stateErr = err
		return
	}
	l.saved, l.stateErr, l.stDirty = snap, nil, false
}

// Status is a summary of a [License] at one moment, for logs, status pages
// and the callbacks of [License.Watch].
type Status struct {
	// Licensed reports that a license is in effect: Err is nil.
	Licensed bool
	// Err is why nothing is allowed, nil when Licensed.
	Err error
	// Code is CodeOf(Err), "" when Licensed.
	Code string
	// The claims of the last license that verified, even if it no longer
	// does (then Licensed is false); empty when none ever did.
	Subject, Issuer, Tier string
	ID                    string    // hex license id
	Expiry                time.Time // zero for a perpetual license
	// InGrace reports that the license is past its expiry, within grace.
	InGrace bool
	// Fallback reports that the license is past its expiry and grace and
	// in effect only by its perpetual fallback (Config.BuildDate is not
	// after its expiry); Warnings says that updates released after the
	// expiry are not covered.
	Fallback bool
	// Source is where the license was found (a path or "$NAME").
	Source string
	// Warnings lists what deserves attention without denying anything:
	// a stale revocation list, a failed reload that kept the last good
	// license, a state file that could not be written, ...
	Warnings []string
}

// Status returns a summary of the license at the clock's current time.
func (l *License) Status() Status {
	s, now := l.view()
	st := Status{Err: s.check(now), Source: s.where, Warnings: slices.Clone(s.warnings)}
	st.Licensed = st.Err == nil
	st.Code = CodeOf(st.Err)
	if s.lic != nil {
		st.Subject, st.Issuer, st.Tier = s.lic.Claims.Subject, s.lic.Claims.Issuer, s.lic.Claims.Tier
		st.ID, st.Expiry = hex.EncodeToString(s.lic.Claims.ID), s.lic.Claims.Expiry
		st.InGrace = st.Licensed && s.inGrace(now)
		st.Fallback = st.Licensed && s.onFallback(now)
		if st.Fallback && !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, "by perpetual fallback") }) {
			// Verified before the expiry: the warning verify gives after it.
			st.Warnings = append(st.Warnings, fmt.Sprintf("license expired at %s: valid for this build (released %s) by perpetual fallback; updates released after the expiry are not covered",
				s.lic.Claims.Expiry.UTC().Format(time.RFC3339), l.s.cfg.BuildDate.UTC().Format(time.RFC3339)))
		}
	}
	return st
}

func (s *snapshot) inGrace(now time.Time) bool {
	return !s.graceStart.IsZero() && now.After(s.graceStart) && !now.After(s.deadline)
}

// Err returns why nothing is allowed at the clock's current time (the
// license expired, was revoked, the clock was set back, no license was
// found, ...), or nil when a license is in effect. [CodeOf] turns it into a
// stable code.
func (l *License) Err() error {
	s, now := l.view()
	return s.check(now)
}

// Allows reports whether a license is in effect and grants scope (a scope
// pattern such as "api:*" in the license covers "api:read"). It does not
// allocate.
func (l *License) Allows(scope string) bool {
	if l == nil {
		return false
	}
	s := l.cur.Load()
	if s == nil || s.err != nil || s.lic == nil {
		return false
	}
	if s.pastDeadline(l.s.clock()) {
		return false
	}
	return s.lic.Claims.Allows(scope)
}

// Tier returns the tier of the license in effect, "" when none is.
func (l *License) Tier() string {
	if s, ok := l.live(); ok {
		return s.lic.Claims.Tier
	}
	return ""
}

// TierAtLeast reports whether a license is in effect whose tier is min or
// above on the ladder of Config.Tiers. A tier that is not on the ladder
// (either one) is never at least anything.
func (l *License) TierAtLeast(min string) bool {
	s, ok := l.live()
	if !ok || s.rank < 0 {
		return false
	}
	want, known := l.s.ranks[min]
	return known && s.rank >= want
}

// Limit returns a numeric limit of the license in effect ("seats",
// "rpm", ...) and whether it sets one.
func (l *License) Limit(name string) (uint64, bool) {
	if s, ok := l.live(); ok {
		return s.lic.Claims.Limit(name)
	}
	return 0, false
}

// HasRight reports whether the license in effect carries a contract right
// ("embed", "redistribute", ...).
func (l *License) HasRight(name string) bool {
	s, ok := l.live()
	return ok && s.lic.Claims.HasRight(name)
}

// ExpiresIn returns the time left until the license in effect expires:
// negative when it is in grace, math.MaxInt64 (about 292 years) when it is
// perpetual, 0 when no license is in effect.
func (l *License) ExpiresIn() time.Duration {
	s, now := l.view()
	if !s.live(now) {
		return 0
	}
	if s.lic.Claims.Expiry.IsZero() {
		return math.MaxInt64
	}
	return s.lic.Claims.Expiry.Sub(now)
}

// InGrace reports whether the license in effect is past its expiry and
// within its grace period: it still allows what it grants, and the product
// should urge a renewal.
func (l *License) InGrace() bool {
	s, now := l.view()
	return s.live(now) && s.inGrace(now)
}

// Claims returns a copy of the claims of the last license that verified,
// even if it no longer does (check [License.Err]), or nil if none ever
// did.
func (l *License) Claims() *token.License {
	s, _ := l.view()
	if s.lic == nil {
		return nil
	}
	c := *s.lic.Claims
	c.Audience = slices.Clone(c.Audience)
	c.ID = bytes.Clone(c.ID)
	c.Scopes = slices.Clone(c.Scopes)
	c.Rights = slices.Clone(c.Rights)
	c.Crit = slices.Clone(c.Crit)
	c.Limits = maps.Clone(c.Limits)
	c.Bind = maps.Clone(c.Bind)
	c.Meta = maps.Clone(c.Meta)
	c.Constraint = slices.Clone(c.Constraint)
	return &c
}

// live returns the snapshot and whether a license is in effect now.
func (l *License) live() (*snapshot, bool) {
	s, now := l.view()
	return s, s.live(now)
}

// view returns the current snapshot and the time, for any License,
// including nil and one that did not come from Load.
func (l *License) view() (*snapshot, time.Time) {
	if l == nil {
		return noLicense, time.Time{}
	}
	s := l.cur.Load()
	if s == nil {
		return noLicense, time.Time{}
	}
	return s, l.s.clock()
}
