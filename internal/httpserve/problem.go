package httpserve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ProblemType is the prefix of every problem's type URI; the code follows.
const ProblemType = "urn:licet:problem:"

// Problem is an RFC 9457 problem detail with a stable code.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Code is the stable name of the problem, the last part of Type.
	Code string `json:"code"`
	// Problems lists every problem of a request refused for several
	// (each term of a license, for example).
	Problems []string `json:"problems,omitempty"`
}

// Error returns the problem's detail.
func (p *Problem) Error() string {
	if p.Detail == "" {
		return p.Title
	}
	return p.Detail
}

// NewProblem returns a problem of status and code, its detail formatted.
func NewProblem(status int, code, format string, args ...any) *Problem {
	return &Problem{Type: ProblemType + code, Title: http.StatusText(status), Status: status, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Stable codes used by the scaffolding itself.
const (
	CodeMalformedJSON   = "malformed_json"
	CodeUnknownField    = "unknown_field"
	CodeWrongType       = "wrong_type"
	CodeBodyTooLarge    = "body_too_large"
	CodeNotFound        = "not_found"
	CodeMethod          = "method_not_allowed"
	CodeInternal        = "internal"
	CodeUnauthenticated = "unauthenticated"
	CodeForbidden       = "forbidden"
	CodeRateLimited     = "rate_limited"
	CodeUnsupportedType = "unsupported_media_type"
)

// WriteProblem writes err as application/problem+json: a [*Problem] as
// it is, anything else as a 500 "internal" problem whose detail is not
// shown to the client (it is logged by the caller).
func WriteProblem(w http.ResponseWriter, err error) {
	var p *Problem
	if !errors.As(err, &p) {
		p = NewProblem(http.StatusInternalServerError, CodeInternal, "internal error: see the server's log")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// DecodeJSON reads the request body (capped by [Handler]'s MaxBytesReader)
// into v: malformed JSON, an unknown or repeated field, a wrong type, a
// second value after the first and an oversized body are each a
// [*Problem] with its own code. known names every field of every object
// of the top-level object, matched exactly (encoding/json alone would
// take "Name" for "name" and keep the last of two "name"s); nested
// objects are maps with free keys (limits, meta). nil skips that check
// but still refuses unknown fields of v's structs.
func DecodeJSON(r *http.Request, v any, known map[string]bool) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return NewProblem(http.StatusUnsupportedMediaType, CodeUnsupportedType, "the body must be application/json, not %s", ct)
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return NewProblem(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "the body is larger than %d bytes", mbe.Limit)
		}
		return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "reading the body: %v", err)
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "the body is empty: a JSON object is expected")
	}
	if !json.Valid(data) {
		var skip any
		err := json.Unmarshal(data, &skip)
		if err == nil { // valid as one value: several values follow each other
			return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "the body holds more than one JSON value")
		}
		return jsonProblem(err)
	}
	if known != nil {
		if err := checkTopFields(data, known); err != nil {
			return NewProblem(http.StatusBadRequest, CodeUnknownField, "%v", err)
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem maps a decoding error to a problem.
func jsonProblem(err error) *Problem {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return NewProblem(http.StatusBadRequest, CodeWrongType, "the body is a JSON %s, not an object", te.Value)
		}
		return NewProblem(http.StatusBadRequest, CodeWrongType, "field %q: a JSON %s where %s is expected", field, te.Value, typeName(te.Type.String()))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return NewProblem(http.StatusBadRequest, CodeUnknownField, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return NewProblem(http.StatusBadRequest, CodeMalformedJSON, "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// typeName names a Go type the way a JSON client understands it.
func typeName(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"), strings.Contains(t, "."):
		return "an object"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return t
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// checkTopFields returns an error for a member of the top-level object
// of data that is not in known (exactly) or appears twice. Invalid JSON
// passes: the decoder reports it.
func checkTopFields(data []byte, known map[string]bool) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := t.(string)
		switch {
		case !known[name]:
			return fmt.Errorf("unknown field %q", name)
		case seen[name]:
			return fmt.Errorf("field %q appears twice", name)
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil
		}
	}
	return nil
}
