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
