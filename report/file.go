package report

import (
	"fmt"
	"time"

	"github.com/licet/licet/internal/reportfile"
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
	if r.Proof == nil {
		r.Proof = []string{}
	}
	if r.Entries == nil {
		r.Entries = [][]byte{}
	}
	b, err := reportfile.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("report: %v", err)
	}
	return b, nil
}

// Parse reads a report file strictly: JSON with exactly the members of
// [Report], version 1, at most [MaxSize] bytes. It checks the form of
// every member, not the signatures (see [Ingest]). Errors are [*Error]
// values with CodeMalformed.
func Parse(data []byte) (*Report, error) {
	if len(data) > MaxSize {
		return nil, refuse(CodeMalformed, "the report is %d bytes, over the %d allowed: ask the partner to report more often", len(data), MaxSize)
	}
	var r Report
	if err := reportfile.Decode(data, &r); err != nil {
		return nil, refuse(CodeMalformed, "not a licet report file: %v", err)
	}
	var c reportfile.Checks
	if r.Version != Version {
		c.Add("licet_report is %d, not %d (a report of another licet version, or not a report)", r.Version, Version)
	}
	c.Members(r.GrantID, r.KID, r.Start, r.Checkpoint, r.Proof, "entry", r.Entries)
	if len(c) > 0 {
		return nil, refuse(CodeMalformed, "not a valid report: %s", c)
	}
	return &r, nil
}

// proof returns the consistency proof.
func (r *Report) proof() tlog.TreeProof { return reportfile.Proof(r.Proof) }
