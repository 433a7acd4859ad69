package token

import (
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Decoding limits of FORMAT section 8. They apply at every level of every
// object: the envelope, the protected header and the claims.
const (
	// MaxTokenSize is the largest armored input (any of the three forms)
	// that is decoded at all.
	MaxTokenSize = 16 << 10
	// MaxNesting is the deepest CBOR nesting accepted.
	MaxNesting = 16
	// MaxArrayItems is the largest CBOR array accepted.
	MaxArrayItems = 1024
	// MaxMapPairs is the largest CBOR map accepted.
	MaxMapPairs = 256
)

// The decoder and encoder modes are set by init and never changed.
var (
	// strictDM is the one strict decoder configuration: no duplicate keys,
	// no indefinite lengths, no tags, bounded depth and sizes, valid UTF-8,
	// case-sensitive claim names, no null or undefined in place of a value.
	strictDM cbor.DecMode
	// headerDM is strictDM with tags allowed. It decodes only the protected
	// header map, whose values are then checked with strictDM one by one,
	// except label 13 (the embedded grant, tag 18), which is parsed as an
	// envelope of its own.
	headerDM cbor.DecMode
	// encMode is core deterministic encoding (RFC 8949 section 4.2.1).
	encMode cbor.EncMode
)

func init() {
	simple, err := cbor.NewSimpleValueRegistryFromDefaults(
		cbor.WithRejectedSimpleValue(22), // null
		cbor.WithRejectedSimpleValue(23), // undefined
	)
	if err != nil {
		panic(err)
	}
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   MaxNesting,
		MaxArrayElements:  MaxArrayItems,
		MaxMapPairs:       MaxMapPairs,
		UTF8:              cbor.UTF8RejectInvalid,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		IntDec:            cbor.IntDecConvertNone,
		SimpleValues:      simple,
	}
	if strictDM, err = opts.DecMode(); err != nil {
		panic(err)
	}
	opts.TagsMd = cbor.TagsAllowed
	if headerDM, err = opts.DecMode(); err != nil {
		panic(err)
	}
	if encMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
}

// ErrMalformed is wrapped by every error this package returns for input that
// is not a well-formed object of FORMAT sections 2 to 7. Verifiers report it
// as the code "malformed".
var ErrMalformed = errors.New("malformed")

// malformedf returns an error wrapping [ErrMalformed].
func malformedf(format string, args ...any) error {
	return &malformedError{msg: fmt.Sprintf(format, args...)}
}

type malformedError struct {
	msg string
	err error
}

func (e *malformedError) Error() string {
	if e.err != nil {
		return "token: " + e.msg + ": " + e.err.Error()
	}
	return "token: " + e.msg
}

func (e *malformedError) Is(target error) bool { return target == ErrMalformed }
func (e *malformedError) Unwrap() error        { return e.err }

func wrapMalformed(what string, err error) error {
	return &malformedError{msg: what, err: err}
}

// decodeStrict decodes one complete CBOR item with the strict configuration.
func decodeStrict(data []byte, v any) error {
	return strictDM.Unmarshal(data, v)
}

// Marshal encodes v with core deterministic encoding, the only encoding
// issuers use. It is exported for tools that build objects by hand (tests,
// other issuers); licenses, grants and revocation lists have their own
// Sign functions.
func Marshal(v any) ([]byte, error) {
	return encMode.Marshal(v)
}

// count returns how many of the flags are set.
func count(flags ...bool) int {
	n := 0
	for _, f := range flags {
		if f {
			n++
		}
	}
	return n
}

// CBOR major types (RFC 8949 section 3.1).
const (
	majorUint   = 0
	majorNint   = 1
	majorBytes  = 2
	majorText   = 3
	majorArray  = 4
	majorMap    = 5
	majorTag    = 6
	majorSimple = 7
)

// appendHead appends the head of a CBOR item of major type major with
// argument n, in its shortest form (as core deterministic encoding writes
// it).
func appendHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return append(b, m|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, m|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, m|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// reader is the package's one hand-written CBOR reader. It reads heads
// and byte strings in place, without copying: the COSE_Sign1 envelope
// (which has one shape only: tag, 4-array, bstr, empty map, bstr, bstr),
// the protected header's items (checkHeaderItems), strict
// well-formedness walks (walk, in strict.go) and claim scalars (readText
// and the others, in wire.go). Maps and claims are decoded by strictDM.
type reader struct {
	b        []byte
	off      int
	shortest bool // refuse heads not in their shortest form
}

var errTruncated = malformedf("truncated COSE_Sign1")

// head reads one CBOR item head with a definite argument.
func (r *reader) head() (major byte, arg uint64, err error) {
	if r.off >= len(r.b) {
		return 0, 0, errTruncated
	}
	ib := r.b[r.off]
	r.off++
	major, ai := ib>>5, ib&0x1f
	var n int
	switch {
	case ai < 24:
		return major, uint64(ai), nil
	case ai == 24:
		n = 1
	case ai == 25:
		n = 2
	case ai == 26:
		n = 4
	case ai == 27:
		n = 8
	case ai == 31:
		return 0, 0, malformedf("indefinite-length item in COSE_Sign1")
	default:
		return 0, 0, malformedf("reserved additional information %d", ai)
	}
	if len(r.b)-r.off < n {
		return 0, 0, errTruncated
	}
	for _, c := range r.b[r.off : r.off+n] {
		arg = arg<<8 | uint64(c)
	}
	r.off += n
	if r.shortest && arg < [...]uint64{24, 1 << 8, 1 << 16, 1 << 32}[ai-24] {
		return 0, 0, malformedf("COSE_Sign1 item head not in shortest form")
	}
	return major, arg, nil
}

// bytes reads a definite-length byte string and returns its content,
// aliasing the input.
func (r *reader) bytes(what string) ([]byte, error) {
	major, n, err := r.head()
	if err != nil {
		return nil, err
	}
	if major != majorBytes {
		return nil, malformedf("%s must be a byte string", what)
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, errTruncated
	}
	b := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b, nil
}
