package usage

import (
	"errors"
	"fmt"

	"github.com/licet/licet/internal/reportfile"
)

// Code names why a usage report was refused. Codes are stable: scripts
// may test them (licet seats ingest --json prints them).
type Code string

// The refusal codes.
const (
	// CodeMalformed: not a usage report, or a member that cannot be read.
	CodeMalformed Code = "malformed"
	// CodeTampered: the checkpoint's signature, a record or the proof was
	// altered after the site signed it.
	CodeTampered Code = "tampered"
	// CodeWrongKey: the checkpoint is not signed by the site grant's key.
	CodeWrongKey Code = "wrong_key"
	// CodeOtherGrant: the report is for another grant than the one given.
	CodeOtherGrant Code = "other_grant"
	// CodeOutsideGrant: a record's lease token does not verify under the
	// site grant, or does not match its record.
	CodeOutsideGrant Code = "outside_grant"
	// CodeDropped: the report holds fewer (or more) records than its
	// checkpoint covers, or starts after the records ingested so far.
	CodeDropped Code = "dropped"
	// CodeReordered: the records are those signed, in another order.
	CodeReordered Code = "reordered"
	// CodeReplayed: the report repeats records already ingested.
	CodeReplayed Code = "replayed"
	// CodeRolledBack: the checkpoint covers fewer records than one
	// ingested before: the site's log was rolled back (or the report is
	// older than the last one).
	CodeRolledBack Code = "rolled_back"
	// CodeInconsistent: the checkpoint contradicts one ingested before:
	// the site's log forked. The pair is kept as evidence.
	CodeInconsistent Code = "inconsistent"
)

// Error is a refused usage report: the code, what failed for people and,
// for CodeInconsistent, the file where the evidence was written.
type Error struct {
	Code     Code
	Message  string
	Evidence string
}

func (e *Error) Error() string {
	return reportfile.ErrorText("usage", e.Message, e.Evidence)
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
