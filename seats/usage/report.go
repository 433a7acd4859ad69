package usage

import (
	"fmt"
	"time"

	"github.com/licet/licet/internal/reportfile"
	"golang.org/x/mod/sumdb/tlog"
)

// Version is the format version of usage reports, their
// "licet_seat_usage" member.
const Version = 1

// MaxSize bounds a usage report file (a record with its lease token
// takes about 1.2 kB: some 200,000 records): a site with more to report
// reports more often.
const MaxSize = 256 << 20

// MaxCheckpointSize bounds a signed checkpoint note.
const MaxCheckpointSize = 4 << 10

// Origin returns the origin, and note key name, of the log of the site
// server running under the grant with id grantID (hex):
// licet/seats/<grant id>.
func Origin(grantID string) string { return "licet/seats/" + grantID }

// Report is a site's usage report: the signed checkpoint of its lease
// log, the records added since the previous report (from index Start to
// the checkpoint's size) and a consistency proof from the tree of Start
// records to the checkpoint's tree.
//
// In a file it is a JSON object:
//
//	{
//	  "licet_seat_usage": 1,
//	  "vendor": "acme",
//	  "site": "plant-1",
//	  "grant": "<site grant id, 32 hex digits>",
//	  "kid": "<the site key's id, 16 hex digits>",
//	  "created": "2026-12-08T04:00:00Z",
//	  "start": 120,
//	  "checkpoint": "licet/seats/<grant>\n180\n<root>\n\n— licet/seats/<grant> <signature>\n",
//	  "proof": ["<base64 hash>", ...],
//	  "records": ["<base64 of a record's bytes>", ...]
//	}
//
// Only the checkpoint is signed, and it commits to the records; the
// other members say what the report claims to be, and [History.Add]
// checks each one.
type Report struct {
	Version    int       `json:"licet_seat_usage"`
	Vendor     string    `json:"vendor"`
	Site       string    `json:"site"`
	GrantID    string    `json:"grant"`
	KID        string    `json:"kid"`
	Created    time.Time `json:"created"`
	Start      int64     `json:"start"`
	Checkpoint string    `json:"checkpoint"`
	Proof      []string  `json:"proof"`
	Records    [][]byte  `json:"records"`
}

// Size returns the size of the log the report's records reach.
func (r *Report) Size() int64 { return r.Start + int64(len(r.Records)) }

// Marshal returns the report file: indented JSON ending in a newline.
func (r *Report) Marshal() ([]byte, error) {
	if r.Proof == nil {
		r.Proof = []string{}
	}
	if r.Records == nil {
		r.Records = [][]byte{}
	}
	b, err := reportfile.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("usage: %v", err)
	}
	return b, nil
}

// Parse reads a usage report file strictly: JSON with exactly the members
// of [Report], version 1, at most [MaxSize] bytes. It checks the form of
// every member, not the signature (see [History.Add]). Errors are
// [*Error] values with CodeMalformed.
func Parse(data []byte) (*Report, error) {
	if len(data) > MaxSize {
		return nil, refuse(CodeMalformed, "the report is %d bytes, over the %d allowed: ask the site to report more often", len(data), MaxSize)
	}
	var r Report
	if err := reportfile.Decode(data, &r); err != nil {
		return nil, refuse(CodeMalformed, "not a licet seat usage report: %v", err)
	}
	var c reportfile.Checks
	if r.Version != Version {
		c.Add("licet_seat_usage is %d, not %d (a report of another licet version, or not a usage report)", r.Version, Version)
	}
	c.Members(r.GrantID, r.KID, r.Start, r.Checkpoint, r.Proof, "record", r.Records)
	if len(c) > 0 {
		return nil, refuse(CodeMalformed, "not a valid usage report: %s", c)
	}
	return &r, nil
}

// proof returns the consistency proof.
func (r *Report) proof() tlog.TreeProof { return reportfile.Proof(r.Proof) }
