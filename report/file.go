package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Version is the format version of report files, their "licet_report"
// member.
const Version = 1

// MaxSize bounds a report file: a partner with more to report reports
// more often.
const MaxSize = 64 << 20

// Report is a partner's royalty report: the signed checkpoint of the log
// of its key, the entries added to that log since the previous report
// (from index Start to the checkpoint's size), and a consistency proof from
// the tree of Start entries to the checkpoint's tree.
//
// In a file it is a JSON object, one entry per line:
//
//	{
//	  "licet_report": 1,
//	  "vendor": "acme",
//	  "partner": "globex",
//	  "grant": "<grant id, 32 hex digits>",
//	  "kid": "<the partner key's id, 16 hex digits>",
//	  "created": "2026-12-01T09:30:00Z",
//	  "start": 3,
//	  "checkpoint": "licet/log/<kid>\n5\n<root>\n\n— licet/log/<kid> <signature>\n",
//	  "proof": ["<base64 hash>", ...],
//	  "entries": ["<base64 of a raw license>", ...]
//	}
//
// Only the checkpoint and the entries are signed; the other members say
// what the report claims to be, and [Ingest] checks each one.
type Report struct {
	Version    int       `json:"licet_report"`
	Vendor     string    `json:"vendor"`
	Partner    string    `json:"partner"`
	GrantID    string    `json:"grant"`
	KID        string    `json:"kid"`
	Created    time.Time `json:"created"`
	Start      int64     `json:"start"`
	Checkpoint string    `json:"checkpoint"`
	Proof      []string  `json:"proof"`
	Entries    [][]byte  `json:"entries"`
}

// Marshal returns the report file: indented JSON ending in a newline.
func (r *Report) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if r.Proof == nil {
		r.Proof = []string{}
	}
	if r.Entries == nil {
		r.Entries = [][]byte{}
	}
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("report: %v", err)
	}
	return b.Bytes(), nil
}

// Parse reads a report file strictly: JSON with exactly the members of
// [Report], version 1, at most [MaxSize] bytes. It checks the form of
// every member, not the signatures (see [Ingest]). Errors are [*Error]
// values with CodeMalformed.
func Parse(data []byte) (*Report, error) {
	if len(data) > MaxSize {
		return nil, refuse(CodeMalformed, "the report is %d bytes, over the %d allowed: ask the partner to report more often", len(data), MaxSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, refuse(CodeMalformed, "not a licet report file: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return nil, refuse(CodeMalformed, "not a licet report file: data after the JSON object")
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if r.Version != Version {
		add("licet_report is %d, not %d (a report of another licet version, or not a report)", r.Version, Version)
	}
	if !isHex(r.GrantID, 32) {
		add("grant %q is not a grant id (32 hex digits)", r.GrantID)
	}
	if !isHex(r.KID, 16) {
		add("kid %q is not a key id (16 hex digits)", r.KID)
	}
	if r.Start < 0 {
		add("start %d is negative", r.Start)
	}
	if r.Checkpoint == "" {
		add("checkpoint is missing")
	}
	for i, p := range r.Proof {
		if _, err := tlog.ParseHash(p); err != nil {
			add("proof hash %d %q is not a hash", i, p)
			break
		}
	}
	for i, e := range r.Entries {
		if len(e) == 0 {
			add("entry %d is empty", r.Start+int64(i))
			break
		}
	}
	if len(problems) > 0 {
		return nil, refuse(CodeMalformed, "not a valid report: %s", strings.Join(problems, "; "))
	}
	return &r, nil
}

// proof returns the consistency proof.
func (r *Report) proof() tlog.TreeProof {
	p := make(tlog.TreeProof, len(r.Proof))
	for i, s := range r.Proof {
		p[i], _ = tlog.ParseHash(s) // checked by Parse
	}
	return p
}

func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}
