// Package reportfile holds what the report files of package report
// (royalty reports of partners) and package seats/usage (seat usage
// reports of sites) share: the strict JSON of the file, the checks of
// the members both carry, the problems a refusal lists and the evidence
// file written when a log forks. Each package keeps its own format
// version member, refusal codes and error prefix; the functions here
// return messages without a prefix for the caller to give its own.
package reportfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/licet/licet/keys"
	"golang.org/x/mod/sumdb/tlog"
)

// Marshal returns v as a report file: indented JSON, HTML characters not
// escaped, ending in a newline.
func Marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode reads data, one JSON object with only the members of v, into v.
// Its error says what is wrong, without a prefix.
func Decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return nil
}

// Checks collects the problems of a report file's members, in order.
type Checks []string

// Add adds a problem.
func (c *Checks) Add(format string, args ...any) { *c = append(*c, fmt.Sprintf(format, args...)) }

// Members checks the members every report file carries: the grant id
// (32 hex digits), the key id (16), a start that is not negative, a
// checkpoint, the hashes of the proof, and items (named item, as
// "entry" or "record", numbered from start) that are not empty.
func (c *Checks) Members(grantID, kid string, start int64, checkpoint string, proof []string, item string, items [][]byte) {
	if !IsHex(grantID, 32) {
		c.Add("grant %q is not a grant id (32 hex digits)", grantID)
	}
	if !IsHex(kid, 16) {
		c.Add("kid %q is not a key id (16 hex digits)", kid)
	}
	if start < 0 {
		c.Add("start %d is negative", start)
	}
	if checkpoint == "" {
		c.Add("checkpoint is missing")
	}
	for i, p := range proof {
		if _, err := tlog.ParseHash(p); err != nil {
			c.Add("proof hash %d %q is not a hash", i, p)
			break
		}
	}
	for i, e := range items {
		if len(e) == 0 {
			c.Add("%s %d is empty", item, start+int64(i))
			break
		}
	}
}

// String joins the problems with semicolons.
func (c Checks) String() string { return strings.Join(c, "; ") }

// Proof returns the hashes of a proof that [Checks.Members] accepted.
func Proof(hashes []string) tlog.TreeProof {
	p := make(tlog.TreeProof, len(hashes))
	for i, s := range hashes {
		p[i], _ = tlog.ParseHash(s) // checked by Members
	}
	return p
}

// IsHex reports whether s is n lowercase hex digits.
func IsHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

// ErrorText is the text of a refusal: the prefix ("report", "usage"),
// the message and, when set, the file where the evidence was kept.
func ErrorText(prefix, message, evidence string) string {
	if evidence != "" {
		return fmt.Sprintf("%s: %s (evidence kept in %s)", prefix, message, evidence)
	}
	return prefix + ": " + message
}

// maxProblems bounds the items a refusal lists.
const maxProblems = 10

// Problems collects the problems of a report's items, the first code
// winning.
type Problems[C ~string] struct {
	code C
	list []string
	n    int
}

// Add adds a problem with its code.
func (p *Problems[C]) Add(code C, format string, args ...any) {
	if p.code == "" {
		p.code = code
	}
	p.n++
	if len(p.list) < maxProblems {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

// Message returns the code of the first problem and a message, what
// followed by the problems (at most ten listed); ok is false when there
// is none.
func (p *Problems[C]) Message(what string) (code C, message string, ok bool) {
	if p.n == 0 {
		return "", "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", what)
	if p.n == 1 {
		b.WriteString(p.list[0])
	} else {
		fmt.Fprintf(&b, "%d problems:", p.n)
		for _, s := range p.list {
			b.WriteString("\n  - " + s)
		}
		if p.n > len(p.list) {
			fmt.Fprintf(&b, "\n  - and %d more", p.n-len(p.list))
		}
	}
	return p.code, b.String(), true
}

// Explanation completes the explanation of an evidence file: both
// checkpoints are signed by whose key (public_key), verifiable under the
// note key name.
func Explanation(explanation, whose, keyName string) string {
	return explanation + ". Both checkpoints are signed by the " + whose + " key (public_key); anyone can check them with " +
		"golang.org/x/mod/sumdb/note under the key name " + keyName + "."
}

// WriteEvidence writes ev as indented JSON to NAME.json in dir
// (NAME-2.json... when taken), atomically, mode 0600, and returns its
// path.
func WriteEvidence(dir, name string, ev any) (string, error) {
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	for i := 1; i <= 100; i++ {
		path := filepath.Join(dir, name+".json")
		if i > 1 {
			path = filepath.Join(dir, fmt.Sprintf("%s-%d.json", name, i))
		}
		err := keys.WriteFile(path, data, 0o600, false)
		if !errors.Is(err, fs.ErrExist) {
			return path, err
		}
	}
	return "", fmt.Errorf("100 evidence files named %s in %s already", name, dir)
}
