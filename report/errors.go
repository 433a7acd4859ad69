package report

import (
	"errors"
	"fmt"

	"github.com/licet/licet/internal/reportfile"
)

// Code names why a report was refused. Codes are stable: scripts may test
// them (licet report ingest --json prints them).
type Code string

// The refusal codes.
const (
	// CodeMalformed: not a report, or a field that cannot be read.
	CodeMalformed Code = "malformed"
	// CodeTampered: a signature that does not verify: the checkpoint or
	// an entry was altered after the partner signed it.
	CodeTampered Code = "tampered"
	// CodeWrongKey: the checkpoint is not signed by the grant's key.
	CodeWrongKey Code = "wrong_key"
	// CodeUnknownGrant: the report's grant is not in the vendor's ledger.
	CodeUnknownGrant Code = "unknown_grant"
	// CodeOtherGrant: the report is for another grant than the one
	// expected.
	CodeOtherGrant Code = "other_grant"
	// CodeOutsideGrant: an entry is not a license within a grant that the
	// vendor issued to the log's key.
	CodeOutsideGrant Code = "outside_grant"
	// CodeDropped: the report holds fewer (or more) entries than its
	// checkpoint covers, or starts after the entries ingested so far.
	CodeDropped Code = "dropped"
	// CodeReordered: the entries, after those ingested before, do not
	// make up the signed tree although the checkpoint extends the last
	// one: entries were reordered, replaced or dropped.
	CodeReordered Code = "reordered"
	// CodeReplayed: the report repeats entries already ingested.
	CodeReplayed Code = "replayed"
	// CodeInconsistent: the checkpoint contradicts one ingested before:
	// the partner's log was rewritten. The pair is kept as evidence.
	CodeInconsistent Code = "inconsistent"
	// CodeNotMirrored: the ledger holds entries of the key's log that did
	// not come from reports (the key is one this ledger signs with).
	CodeNotMirrored Code = "not_mirrored"
)

// Error is a refused report: the code, what failed for people and, for
// CodeInconsistent, the file where the evidence was written.
type Error struct {
	Code     Code
	Message  string
	Evidence string
}

func (e *Error) Error() string {
	return reportfile.ErrorText("report", e.Message, e.Evidence)
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// CodeOf returns the code of err, or "" when err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func refuse(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
