package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
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

// ListRollbackError reports a revocation list older than one already seen
// from the same issuer (a lower seq), or a missing list after one was
// seen from that issuer (Missing: the file removed, or now holding only
// other issuers' lists): either would un-revoke licenses.
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
	stateVersion = 1
	// maxState bounds the state file read.
	maxState = 64 << 10
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
	if st.Version != stateVersion {
		return nil, &StateError{path, "read", fmt.Errorf("version %d, want %d", st.Version, stateVersion)}
	}
	if st.HighWater < 0 {
		return nil, &StateError{path, "read", errors.New("corrupt (delete it to start afresh): negative high_water")}
	}
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
