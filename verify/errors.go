package verify

import (
	"errors"
	"fmt"
)

// Code is one of the stable error codes of FORMAT section 8. A Code is an
// error too, so that errors.Is(err, verify.CodeExpired) tests the code of
// any error Verify returns.
type Code string

func (c Code) Error() string { return string(c) }

// The codes, in the order the checks run.
const (
	CodeMalformed         Code = "malformed"
	CodeUnsupportedAlg    Code = "unsupported_alg"
	CodeWrongType         Code = "wrong_type"
	CodeUnknownKey        Code = "unknown_key"
	CodeBadSignature      Code = "bad_signature"
	CodeKeyNotValid       Code = "key_not_valid"
	CodeWrongIssuer       Code = "wrong_issuer"
	CodeWrongProduct      Code = "wrong_product"
	CodeNotYetValid       Code = "not_yet_valid"
	CodeExpired           Code = "expired"
	CodeVersionNotCovered Code = "version_not_covered"
	CodeBindingMismatch   Code = "binding_mismatch"
	CodeRevoked           Code = "revoked"
	CodeScopeMissing      Code = "scope_missing"
	CodeGrantInvalid      Code = "grant_invalid"
	CodeGrantViolation    Code = "grant_violation"
)

// Codes returns every code, in the order the checks run.
func Codes() []Code {
	return []Code{
		CodeMalformed, CodeUnsupportedAlg, CodeWrongType, CodeUnknownKey,
		CodeBadSignature, CodeKeyNotValid, CodeWrongIssuer, CodeWrongProduct,
		CodeNotYetValid, CodeExpired, CodeVersionNotCovered, CodeBindingMismatch,
		CodeRevoked, CodeScopeMissing, CodeGrantInvalid, CodeGrantViolation,
	}
}

// Error is every verification failure: one [Code], a message for people
// and the detail that failed (a scope, a version, a key id), if any. Test
// the code with errors.Is(err, verify.CodeExpired); read the rest with
// errors.As.
type Error struct {
	Code    Code
	Message string // what failed, for people
	Detail  string // the value that failed, if any: a scope, a version, a key id
	Err     error  // the underlying error, if any
}

func (e *Error) Error() string {
	s := "verify: " + string(e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's [Code], or an *Error with the same
// code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case Code:
		return t == e.Code
	case *Error:
		return t.Code == e.Code
	}
	return false
}

func fail(code Code, detail string, format string, args ...any) *Error {
	return &Error{Code: code, Detail: detail, Message: fmt.Sprintf(format, args...)}
}

func failErr(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Err: err, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err, or "" if err is not a verification error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var c Code
	if errors.As(err, &c) {
		return c
	}
	return ""
}
