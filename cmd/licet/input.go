package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-version"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

// maxKeyFileSize bounds what is read from a key or keyring file.
const maxKeyFileSize = 1 << 20

// readFile reads a file of at most limit bytes. Every error names the file,
// says what it should have been (what) and carries exit code 2.
func readFile(path, what string, limit int64) ([]byte, error) {
	data, err := readFileUpTo(path, what, limit+1)
	if err == nil && int64(len(data)) > limit {
		return nil, ioError(fmt.Errorf("%s is larger than %d bytes: not %s", path, limit, what), "")
	}
	return data, err
}

// readFileUpTo reads at most the first n bytes of a file. A pipe (a FIFO,
// or <(command) in a shell) is read without ever blocking in open: one
// that nobody writes to reads as nothing and is an error; devices and
// sockets are refused.
func readFileUpTo(path, what string, n int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fileError(err, path, what)
	}
	pipe := fi.Mode()&fs.ModeNamedPipe != 0
	switch {
	case fi.IsDir():
		return nil, ioError(fmt.Errorf("%s is a directory, not %s", path, what), "give the path of a file")
	case !fi.Mode().IsRegular() && !pipe:
		return nil, ioError(fmt.Errorf("%s is not a regular file (%s), not %s", path, fi.Mode().Type(), what), "give the path of a file")
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, fileError(err, path, what)
	}
	defer f.Close()
	if pipe {
		f.Fd() // back to blocking reads: wait for the writer's data, or EOF
	} else if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, ioError(fmt.Errorf("%s is not a regular file, not %s", path, what), "give the path of a file")
	}
	data, err := io.ReadAll(io.LimitReader(f, n))
	if err != nil {
		return nil, fileError(err, path, what)
	}
	if pipe && len(data) == 0 {
		return nil, ioError(fmt.Errorf("%s is a named pipe (FIFO) that nobody writes to: nothing to read (%s)", path, what),
			"give the path of a regular file, or write into the pipe from another process")
	}
	return data, nil
}

func fileError(err error, path, what string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ioError(fmt.Errorf("%s: no such file (%s)", path, what), "check the path")
	case errors.Is(err, fs.ErrPermission):
		return ioError(fmt.Errorf("%s: permission denied (%s)", path, what), "check the file's permissions")
	}
	return ioError(fmt.Errorf("%s: %v (%s)", path, err, what), "")
}

// textToken matches a compact text token: PREFIX.base64url, long enough
// not to be a file name such as "license.txt".
var textToken = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9-]{1,32}\.[A-Za-z0-9_-]{32,}$`) })

// readToken reads the token argument of inspect and verify: a token
// string, a file in any of the three forms, or "-" (or nothing) for stdin.
// It returns the bytes, with pasting undone ([normalizePasted]), and a
// name for messages.
func (a *app) readToken(args []string) ([]byte, string, error) {
	arg := "-"
	if len(args) > 0 {
		arg = args[0]
	}
	if arg == "-" {
		if len(args) == 0 && a.stdinTerminal() {
			return nil, "", usageError("pass a token, a file, or '-' and pipe the token in", "no token given")
		}
		data, err := io.ReadAll(io.LimitReader(a.stdin, 2*(token.MaxTokenSize+1)))
		if err != nil {
			return nil, "", ioError(fmt.Errorf("reading stdin: %v", err), "")
		}
		return pastedUpTo(data, token.MaxTokenSize+1), "stdin", nil
	}
	pasted := normalizePasted([]byte(arg))
	if bytes.HasPrefix(pasted, []byte("-----BEGIN ")) || textToken().Match(bytes.TrimSpace(pasted)) {
		if _, err := os.Stat(arg); err != nil {
			return pasted, "the token argument", nil
		}
	}
	// One byte more than a token may have: the decoder refuses it as malformed.
	data, err := readTokenFile(arg, "a token file", token.MaxTokenSize+1)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) && strings.Contains(ee.err.Error(), "no such file") {
			ee.hint = "the argument is a token (licet1.xxx), a PEM text, a file path, or '-' for stdin"
		}
		return nil, "", err
	}
	return data, arg, nil
}

// parsePairs parses repeated k=v flag values into a map, reporting empty
// keys and keys given twice.
func parsePairs(flag string, values []string) (map[string]string, []string) {
	var problems []string
	if len(values) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(values))
	for _, kv := range values {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok || k == "":
			problems = append(problems, fmt.Sprintf("--%s %q: want NAME=VALUE", flag, kv))
		case hasKey(m, k):
			problems = append(problems, fmt.Sprintf("--%s %s is given twice", flag, k))
		default:
			m[k] = v
		}
	}
	return m, problems
}

// parseLimits parses repeated name=N values.
func parseLimits(flag string, values []string) (map[string]uint64, []string) {
	pairs, problems := parsePairs(flag, values)
	if len(pairs) == 0 {
		return nil, problems
	}
	m := make(map[string]uint64, len(pairs))
	for _, k := range slices.Sorted(maps.Keys(pairs)) {
		n, err := strconv.ParseUint(pairs[k], 10, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("--%s %s=%q: the value must be a whole number >= 0", flag, k, pairs[k]))
			continue
		}
		m[k] = n
	}
	return m, problems
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

// checkScopes reports empty scopes and scopes with spaces.
func checkScopes(flag string, scopes []string) []string {
	var problems []string
	for _, s := range scopes {
		switch {
		case s == "":
			problems = append(problems, fmt.Sprintf("--%s \"\": a scope cannot be empty", flag))
		case !token.ValidScope(s):
			problems = append(problems, fmt.Sprintf("--%s %q: a scope contains no spaces (use area:action, e.g. api:read)", flag, s))
		}
	}
	return problems
}

// checkNonEmpty reports empty values of a repeatable flag.
func checkNonEmpty(flag string, values []string) []string {
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return []string{fmt.Sprintf("--%s cannot be empty", flag)}
		}
	}
	return nil
}

// validationProblems returns the problems of a *token.ValidationError,
// or the error's text as one problem.
func validationProblems(err error) []string {
	var ve *token.ValidationError
	if errors.As(err, &ve) {
		return ve.Problems
	}
	return []string{err.Error()}
}

// problemsError is every problem of a command line, in one message.
func problemsError(what string, problems []string, hint string) error {
	var b bytes.Buffer
	if len(problems) == 1 {
		fmt.Fprintf(&b, "%s: %s", what, problems[0])
	} else {
		fmt.Fprintf(&b, "%s: %d problems:", what, len(problems))
		for _, p := range problems {
			b.WriteString("\n  - " + p)
		}
	}
	return &exitError{code: exitUsage, err: errors.New(b.String()), hint: hint}
}

// parseVersions checks the --versions constraint, when the flag is given.
func parseVersions(cmd *cobra.Command, s string) (string, []string) {
	if !cmd.Flags().Changed("versions") {
		return "", nil
	}
	if _, err := version.NewConstraint(s); err != nil || strings.TrimSpace(s) == "" {
		return "", []string{fmt.Sprintf("--versions %q is not a version constraint: use go-version syntax such as '>= 2.0, < 4.0'", s)}
	}
	return s, nil
}
