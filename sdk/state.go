package sdk

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/token"
)

// ErrClockRollback is matched by every [*ClockRollbackError] with
// errors.Is.
var ErrClockRollback = errors.New("sdk: clock rollback")

// ErrListRollback is matched by every [*ListRollbackError] with
// errors.Is.
var ErrListRollback = errors.New("sdk: revocation list rollback")

// ClockRollbackError reports a clock earlier than a time already seen on
// this machine (a license's or revocation list's issue time, or an earlier
// successful check), by more than the tolerance. Nothing is allowed until
// the clock is right again. If the clock was wrong the other way before
// (set ahead, then corrected), the mark is wrong: delete the state file.
type ClockRollbackError struct {
	Now       time.Time     // the clock
	HighWater time.Time     // the highest time seen
	Tolerance time.Duration // how far behind the clock may be
}

// Error gives the clock, the high-water mark and the tolerance.
func (e *ClockRollbackError) Error() string {
	return fmt.Sprintf("sdk: clock rollback: the clock says %s, but %s was already seen (tolerance %s); set the clock right",
		e.Now.UTC().Format(time.RFC3339), e.HighWater.UTC().Format(time.RFC3339), e.Tolerance)
}

// Is makes errors.Is(err, ErrClockRollback) true.
func (e *ClockRollbackError) Is(target error) bool { return target == ErrClockRollback }

// ListRollbackError reports a missing revocation list after one was seen
// from that issuer (Missing: the file removed, or now holding only other
// issuers' lists), or a list older than one already seen from the same
// issuer (a lower seq) while the state file records no entries of that
// issuer (a state file written before revocations were remembered): either
// could un-revoke licenses. Once the entries of an issuer are remembered,
// a lower seq un-revokes nothing: the list is taken, and what it drops is
// reported with a *[ListDroppedError].
type ListRollbackError struct {
	Path    string
	Issuer  string
	Seen    uint64 // highest seq seen from Issuer
	Got     uint64 // seq of the list found; 0 when Missing
	Missing bool   // the list file is gone
}

// Error gives the sequence numbers, or says the list is missing.
func (e *ListRollbackError) Error() string {
	if e.Missing {
		return fmt.Sprintf("sdk: revocation list rollback: %s: the list of %q is missing, but one with seq %d was already seen; restore the newest list of that issuer (one file may hold the lists of several issuers)",
			e.Path, e.Issuer, e.Seen)
	}
	return fmt.Sprintf("sdk: revocation list rollback: %s has seq %d, but seq %d from %q was already seen; restore the newest list",
		e.Path, e.Got, e.Seen, e.Issuer)
}

// Is makes errors.Is(err, ErrListRollback) true.
func (e *ListRollbackError) Is(target error) bool { return target == ErrListRollback }

// ErrListDropped is matched by every [*ListDroppedError] with errors.Is.
var ErrListDropped = errors.New("sdk: revocation list drops revoked entries")

// ListDroppedError reports a revocation list that does not name entries
// that an earlier list of its issuer named (or that has a lower seq than
// one already seen, and so drops them). Revocation is monotonic (FORMAT
// section 6): the dropped entries stay revoked, the list is taken for the
// rest, and nothing is denied because of it. While that list is in effect
// it is among the problems [License.Reload] returns and in the [Status]
// Warnings, and OnError of [License.Watch] gets it once; after a restart
// it is not reported again (the state file keeps the entries as dropped).
// A vendor's lists only grow, so a list that drops entries was signed by
// mistake, or by a leaked key.
type ListDroppedError struct {
	Path   string
	Issuer string
	Seq    uint64 // the seq of the list
	Seen   uint64 // the highest seq seen from Issuer before it
	// Dropped lists the entries that stay revoked: "cti:<hex id>",
	// "kid:<hex key id>" or "gcti:<hex grant id>:<hex license id>".
	Dropped []string
}

// Error names the list, its seq and the entries it drops.
func (e *ListDroppedError) Error() string {
	shown := e.Dropped
	more := ""
	if len(shown) > 4 {
		shown, more = shown[:4], fmt.Sprintf(" and %d more", len(e.Dropped)-4)
	}
	lower := ""
	if e.Seq < e.Seen {
		lower = fmt.Sprintf(", lower than seq %d already seen", e.Seen)
	}
	return fmt.Sprintf("sdk: revocation list %s of %q (seq %d%s) drops %d revoked entries (%s%s); they stay revoked: a revocation list never un-revokes (a vendor's lists only grow: was this one signed by a leaked key?)",
		e.Path, e.Issuer, e.Seq, lower, len(e.Dropped), strings.Join(shown, ", "), more)
}

// Is makes errors.Is(err, ErrListDropped) true.
func (e *ListDroppedError) Is(target error) bool { return target == ErrListDropped }

// StateError reports a state file that cannot be read or written. A state
// file that cannot be read (corrupt, unreadable) stops every license from
// being allowed, since rollbacks can no longer be told; deleting it starts
// afresh. One that cannot be written is reported and changes nothing else.
type StateError struct {
	Path string
	Op   string // "read" or "write"
	Err  error
}

// Error names the state file, the operation and the cause.
func (e *StateError) Error() string {
	return fmt.Sprintf("sdk: state file %s: %s: %v", e.Path, e.Op, e.Err)
}

// Unwrap returns the underlying error.
func (e *StateError) Unwrap() error { return e.Err }

const (
	// stateVersion is the version written; version 1 files (without the
	// remembered revocations) are read too.
	stateVersion = 2
	// maxState bounds the state file read: it holds every entry of every
	// revocation list taken (a list holds at most about 2,000).
	maxState = 4 << 20
	// stateGranularity is how far the high-water mark must advance before
	// the state file is written again: a poll does not write every time.
	stateGranularity = time.Minute
)

// state is the content of the state file.
type state struct {
	Version int `json:"version"`
	// HighWater is the highest time seen, as Unix seconds.
	HighWater int64 `json:"high_water"`
	// Seq is the highest revocation list seq seen, per issuer.
	Seq map[string]uint64 `json:"revocation_seq,omitempty"`
	// Revoked is, per issuer, every entry of the lists taken: revocation
	// is monotonic (FORMAT section 6).
	Revoked map[string]*revoked `json:"revoked,omitempty"`
}

// revoked holds the entries seen revoked for one issuer, each once, in
// the form of [entries].
type revoked struct {
	// Listed are the entries of the last list taken.
	Listed []string `json:"listed"`
	// Kept are entries that a later list dropped: they stay revoked.
	Kept []string `json:"kept,omitempty"`
}

// all returns the entries of r as a token.Revocations.
func (r *revoked) all() *token.Revocations {
	out, _ := parseEntries(append(slices.Clone(r.Listed), r.Kept...))
	return out
}

// entries returns the entries of r as sorted strings: "cti:<hex>",
// "kid:<hex>", "gcti:<hex grant>:<hex id>".
func entries(r *token.Revocations) []string {
	if r == nil {
		return nil
	}
	var out []string
	for _, id := range r.IDs {
		out = append(out, "cti:"+hex.EncodeToString(id))
	}
	for _, kid := range r.KeyIDs {
		out = append(out, "kid:"+hex.EncodeToString(kid))
	}
	for _, g := range r.Granted {
		for _, id := range g.IDs {
			out = append(out, "gcti:"+hex.EncodeToString(g.Grant)+":"+hex.EncodeToString(id))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// parseEntries reads strings of [entries] back.
func parseEntries(list []string) (*token.Revocations, error) {
	r := &token.Revocations{}
	byGrant := map[string]int{}
	for _, e := range list {
		kind, rest, _ := strings.Cut(e, ":")
		var err error
		switch kind {
		case "cti", "kid":
			var b []byte
			b, err = hex.DecodeString(rest)
			switch {
			case err != nil:
			case kind == "cti" && len(b) == token.IDSize:
				r.IDs = append(r.IDs, b)
			case kind == "kid" && len(b) == token.KeyIDSize:
				r.KeyIDs = append(r.KeyIDs, b)
			default:
				err = errors.New("wrong size")
			}
		case "gcti":
			gs, is, _ := strings.Cut(rest, ":")
			var g, id []byte
			if g, err = hex.DecodeString(gs); err == nil {
				id, err = hex.DecodeString(is)
			}
			if err == nil && (len(g) != token.IDSize || len(id) != token.IDSize) {
				err = errors.New("wrong size")
			}
			if err == nil {
				i, ok := byGrant[gs]
				if !ok {
					i = len(r.Granted)
					byGrant[gs] = i
					r.Granted = append(r.Granted, token.GrantIDs{Grant: g})
				}
				r.Granted[i].IDs = append(r.Granted[i].IDs, id)
			}
		default:
			err = errors.New("unknown kind")
		}
		if err != nil {
			return nil, fmt.Errorf("revoked entry %q: %v", e, err)
		}
	}
	return r, nil
}

func (st *state) highWater() time.Time {
	if st.HighWater == 0 {
		return time.Time{}
	}
	return time.Unix(st.HighWater, 0)
}

// readState reads the state file; a missing file is an empty state.
func readState(path string) (*state, error) {
	f, _, err := openRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &state{Version: stateVersion}, nil
	}
	if err != nil {
		return nil, &StateError{path, "read", err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxState+1))
	if err != nil {
		return nil, &StateError{path, "read", err}
	}
	if len(data) > maxState {
		return nil, &StateError{path, "read", fmt.Errorf("larger than %d bytes", maxState)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st state
	if err := dec.Decode(&st); err != nil {
		return nil, &StateError{path, "read", fmt.Errorf("corrupt (delete it to start afresh): %w", err)}
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, &StateError{path, "read", errors.New("corrupt (delete it to start afresh): data after the JSON object")}
	}
	if st.Version != stateVersion && st.Version != 1 {
		return nil, &StateError{path, "read", fmt.Errorf("version %d, want %d", st.Version, stateVersion)}
	}
	if st.HighWater < 0 {
		return nil, &StateError{path, "read", errors.New("corrupt (delete it to start afresh): negative high_water")}
	}
	for iss, r := range st.Revoked {
		if r == nil {
			return nil, &StateError{path, "read", fmt.Errorf("corrupt (delete it to start afresh): revoked entries of %q are null", iss)}
		}
		if _, err := parseEntries(append(slices.Clone(r.Listed), r.Kept...)); err != nil {
			return nil, &StateError{path, "read", fmt.Errorf("corrupt (delete it to start afresh): %v", err)}
		}
	}
	st.Version = stateVersion
	return &st, nil
}

// writeState writes st to path atomically: a temporary file in the same
// directory (created 0600 by os.CreateTemp), synced, renamed over path.
func writeState(path string, st *state) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return &StateError{path, "write", err}
	}
	data = append(data, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &StateError{path, "write", err}
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return &StateError{path, "write", err}
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return &StateError{path, "write", err}
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return &StateError{path, "write", err}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return &StateError{path, "write", err}
	}
	return nil
}
