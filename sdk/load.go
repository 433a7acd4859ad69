package sdk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/licet/licet/verify"
)

// Kinds of [Candidate], the places [Load] looks, in this order.
const (
	KindPath      = "path"       // Config.LicensePath
	KindEnv       = "env"        // the environment variable, holding a license or a path
	KindConfigDir = "config-dir" // os.UserConfigDir()/<ConfigDirName>/license.lic
)

// KindLease (lease.go) is the lease from Config.LeaseServer, looked at
// before the three.

// Candidate is one place [Load] looked for a license, and why it failed.
type Candidate struct {
	// Kind is KindLease, KindPath, KindEnv or KindConfigDir.
	Kind string
	// Where names the place for people: a path, "$NAME", or "$NAME -> path"
	// when the variable holds a path.
	Where string
	// Path is the file read, "" when the variable held the license itself.
	Path string
	// Err is why the candidate gave no license. It wraps fs.ErrNotExist
	// when there was nothing there, and is (or wraps) a *verify.Error when
	// a license was found and refused.
	Err error
}

// String returns the place and the reason, as the [LoadError] message
// shows them.
func (c Candidate) String() string {
	if c.Err == nil {
		return c.Where + ": ok"
	}
	if ve, ok := c.Err.(*verify.Error); ok {
		msg := ve.Message
		if ve.Err != nil {
			msg += ": " + ve.Err.Error()
		}
		return fmt.Sprintf("%s: rejected (%s): %s", c.Where, ve.Code, msg)
	}
	return c.Where + ": " + c.Err.Error()
}

// LoadError reports that no place held a valid license: it lists every
// place looked at and why each failed. errors.Is and errors.As see the
// failure of each candidate, so errors.Is(err, verify.CodeExpired) tells
// whether an expired license was found.
type LoadError struct {
	Product    string
	Candidates []Candidate
}

// Error lists every place looked at and why each failed, on one line.
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sdk: no valid license for product %q", e.Product)
	if len(e.Candidates) == 0 {
		b.WriteString(": no place to look (set Config.LicensePath, the environment variable or the config directory)")
		return b.String()
	}
	b.WriteString("; looked at ")
	for i, c := range e.Candidates {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// Unwrap returns the error of each candidate.
func (e *LoadError) Unwrap() []error {
	errs := make([]error, 0, len(e.Candidates))
	for _, c := range e.Candidates {
		if c.Err != nil {
			errs = append(errs, c.Err)
		}
	}
	return errs
}

// NotFound reports whether no place held anything at all: the product is
// simply not licensed yet, as opposed to a license that was refused.
func (e *LoadError) NotFound() bool {
	for _, c := range e.Candidates {
		if !errors.Is(c.Err, fs.ErrNotExist) {
			return false
		}
	}
	return true
}

// Code returns the verification code of the first license found and
// refused; else, when the lease server refused a lease or could not be
// reached, its code ([CodeSeatsFull], [CodeLeaseUnavailable], ...); else
// [CodeNoLicense].
func (e *LoadError) Code() string {
	for _, c := range e.Candidates {
		if code := verify.CodeOf(c.Err); code != "" {
			return string(code)
		}
	}
	for _, c := range e.Candidates {
		var se *SeatError
		switch {
		case errors.As(c.Err, &se):
			return se.Code
		case errors.Is(c.Err, errReleased):
			return CodeLeaseReleased
		}
	}
	return CodeNoLicense
}

// notFoundError is an empty place, or one that does not exist on this
// machine: errors.Is sees fs.ErrNotExist and the cause, if any.
type notFoundError struct {
	msg string
	err error
}

func (e *notFoundError) Error() string        { return e.msg }
func (e *notFoundError) Is(target error) bool { return target == fs.ErrNotExist }
func (e *notFoundError) Unwrap() error        { return e.err }

// maxFileSize bounds what is read of a license or revocation list file.
// It is far above what verify accepts (token.MaxTokenSize), so that verify
// alone decides which sizes are valid; it only keeps a wrong path (a log
// file, a disk image) from being read whole.
const maxFileSize = 1 << 20

// fileSig identifies the content of a file, to notice changes without
// trusting modification times alone.
type fileSig struct {
	exists bool
	size   int64
	mtime  int64
	sum    [sha256.Size]byte
	err    string
}

// notRegularError reports a path that is not a regular file: a FIFO, a
// device, a socket or a directory, none of which a licensing file is.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string {
	kind := "a directory"
	switch t := e.mode.Type(); {
	case t&fs.ModeNamedPipe != 0:
		kind = "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		kind = "a socket"
	case t&fs.ModeDevice != 0:
		kind = "a device"
	case t&fs.ModeDir == 0:
		kind = "a special file (" + t.String() + ")"
	}
	return "not a regular file: it is " + kind + "; point the path at a file"
}

// openRegular opens path for reading only if it is a regular file, and
// never blocks: the type is checked before opening (a FIFO would block
// the open until a writer comes) and again on the open file (the path may
// have been replaced in between), which is opened non-blocking on unix.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fi, &notRegularError{fi.Mode()}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, nil, err
	}
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fi, &notRegularError{fi.Mode()}
	}
	return f, fi, nil
}

// readFile reads a small file, at most limit bytes, refusing what is not
// a regular file without blocking on it. The signature is set even when
// err is not nil.
func readFile(path string, limit int64) ([]byte, fileSig, error) {
	f, fi, err := openRegular(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fileSig{}, &notFoundError{"not found", err}
		}
		sig := fileSig{err: err.Error()}
		if fi != nil {
			sig.exists, sig.mtime = true, fi.ModTime().UnixNano()
		}
		return nil, sig, err
	}
	defer f.Close()
	sig := fileSig{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		sig.err = err.Error()
		return nil, sig, err
	}
	sig.sum = sha256.Sum256(data)
	if int64(len(data)) > limit {
		err := fmt.Errorf("larger than %d bytes: not a licet object", limit)
		sig.err = err.Error()
		return nil, sig, err
	}
	return data, sig, nil
}

// input is a candidate with what was read from it.
type input struct {
	c    Candidate
	data []byte
	sig  fileSig
}

// gather reads every candidate place. A read failure is recorded in the
// candidate; nothing is verified yet.
func (s *settings) gather() []input {
	var in []input
	if p := s.cfg.LicensePath; p != "" {
		data, sig, err := readFile(p, maxFileSize)
		in = append(in, input{Candidate{Kind: KindPath, Where: p, Path: p, Err: err}, data, sig})
	}
	if name := s.envVar; name != "" {
		in = append(in, s.gatherEnv(name))
	}
	switch {
	case s.configDir != "":
		data, sig, err := readFile(s.configDir, maxFileSize)
		in = append(in, input{Candidate{Kind: KindConfigDir, Where: s.configDir, Path: s.configDir, Err: err}, data, sig})
	case s.dirErr != nil:
		in = append(in, input{c: Candidate{Kind: KindConfigDir, Where: "config directory",
			Err: &notFoundError{"unknown: " + s.dirErr.Error(), s.dirErr}}})
	}
	return in
}

// gatherEnv reads the environment variable: a license itself, or the
// path of a license file. A PEM block is a license; otherwise a value that
// names an existing file, or contains a path separator, is a path, and
// anything else is taken as a license (the compact text form has no path
// separator).
func (s *settings) gatherEnv(name string) input {
	where := "$" + name
	val := strings.TrimSpace(s.getenv(name))
	if val == "" {
		return input{c: Candidate{Kind: KindEnv, Where: where, Err: &notFoundError{msg: "not set"}}}
	}
	isPath := false
	if !strings.HasPrefix(val, "-----BEGIN ") {
		_, statErr := os.Stat(val)
		isPath = statErr == nil || strings.ContainsAny(val, `/\`)
	}
	if isPath {
		data, sig, err := readFile(val, maxFileSize)
		return input{Candidate{Kind: KindEnv, Where: where + " -> " + val, Path: val, Err: err}, data, sig}
	}
	data := []byte(val)
	return input{c: Candidate{Kind: KindEnv, Where: where}, data: data, sig: fileSig{exists: true, size: int64(len(data)), sum: sha256.Sum256(data)}}
}

// sameSigs reports whether two gathers saw the same content everywhere.
func sameSigs(a, b []input) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].c.Where != b[i].c.Where || a[i].sig != b[i].sig {
			return false
		}
	}
	return true
}

// found is a license that verified, with where it came from.
type found struct {
	lic     *verify.License
	raw     []byte
	where   string
	kind    string   // the candidate's Kind
	skipped []string // earlier candidates that held something refused
}

// resolve verifies the gathered candidates in order and returns the first
// that verifies, or a *LoadError naming every candidate.
func (s *settings) resolve(v *verify.Verifier, in []input) (*found, error) {
	cands := make([]Candidate, len(in))
	var skipped []string
	for i, x := range in {
		c := x.c
		if c.Err == nil {
			lic, err := v.Verify(x.data)
			if err == nil {
				return &found{lic: lic, raw: bytes.Clone(x.data), where: c.Where, kind: c.Kind, skipped: skipped}, nil
			}
			if c.Kind == KindEnv && c.Path == "" && verify.CodeOf(err) == verify.CodeMalformed {
				err = fmt.Errorf("neither an existing file nor a valid license: %w", err)
			}
			c.Err = err
		}
		if !errors.Is(c.Err, fs.ErrNotExist) {
			skipped = append(skipped, c.String())
		}
		cands[i] = c
	}
	return nil, &LoadError{Product: s.cfg.Product, Candidates: cands}
}
