package token

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Range of timestamps accepted in any claim: after 0001-01-01T00:00:00Z and
// up to 9999-12-31T23:59:59Z, so that every accepted time has an RFC 3339
// form and the zero time.Time can stand for "absent".
const (
	minUnix = -62135596800 + 1
	maxUnix = 253402300799
)

// maxSeconds is the largest duration claim (grace, maxlife) that fits in a
// time.Duration: about 292 years.
const maxSeconds = math.MaxInt64 / int64(time.Second)

// Wire types that record whether a claim was present, so that "absent" and
// "present but empty" are told apart without pointers.

type text struct {
	v  string
	ok bool
}

func (t *text) UnmarshalCBOR(b []byte) error {
	t.ok = true
	var err error
	t.v, err = readText(b)
	return err
}

type date struct {
	v  int64
	ok bool
}

func (d *date) UnmarshalCBOR(b []byte) error {
	d.ok = true
	var err error
	if d.v, err = readInt(b); err != nil {
		return err
	}
	if d.v < minUnix || d.v > maxUnix {
		return fmt.Errorf("timestamp %d outside years 0001 to 9999", d.v)
	}
	return nil
}

func (d date) time() time.Time {
	if !d.ok {
		return time.Time{}
	}
	return time.Unix(d.v, 0).UTC()
}

type seconds struct {
	v  uint64
	ok bool
}

func (s *seconds) UnmarshalCBOR(b []byte) error {
	s.ok = true
	var err error
	if s.v, err = readUint(b); err != nil {
		return err
	}
	if s.v > uint64(maxSeconds) {
		return fmt.Errorf("duration of %d seconds is too long", s.v)
	}
	return nil
}

func (s seconds) duration() time.Duration { return time.Duration(s.v) * time.Second }

// ceiling returns the duration, nil when the claim is absent: present
// and zero is a ceiling of zero.
func (s seconds) ceiling() *time.Duration {
	if !s.ok {
		return nil
	}
	d := s.duration()
	return &d
}

// secondsPtr is the wire form of an optional ceiling.
func secondsPtr(d *time.Duration) *uint64 {
	if d == nil {
		return nil
	}
	n := uint64(*d / time.Second)
	return &n
}

type texts struct {
	v  []string
	ok bool
}

func (t *texts) UnmarshalCBOR(b []byte) error {
	t.ok = true
	var err error
	t.v, err = readTexts(b)
	return err
}

type uintVal struct {
	v  uint64
	ok bool
}

func (u *uintVal) UnmarshalCBOR(b []byte) error {
	u.ok = true
	var err error
	u.v, err = readUint(b)
	return err
}

// flag is a boolean claim ("fallback"): exactly the simple value true
// (0xf5) or false (0xf4); anything else is malformed.
type flag struct {
	v, ok bool
}

func (f *flag) UnmarshalCBOR(b []byte) error {
	f.ok = true
	switch {
	case len(b) == 1 && b[0] == 0xf5:
		f.v = true
	case len(b) == 1 && b[0] == 0xf4:
		f.v = false
	default:
		return errors.New("fallback must be true or false")
	}
	return nil
}

// uintMap is a {* tstr => uint} claim ("limits"), read by hand: the CBOR
// library reads simple values into unsigned integers.
type uintMap map[string]uint64

func (m *uintMap) UnmarshalCBOR(b []byte) error {
	r := reader{b: b}
	major, n, err := r.head()
	if err != nil {
		return err
	}
	if major != majorMap {
		return fmt.Errorf("want a map of text to unsigned integers, got CBOR major type %d", major)
	}
	if n > uint64(len(b)-r.off)/2 {
		return errors.New("map longer than its item")
	}
	out := make(map[string]uint64, n)
	for i := uint64(0); i < n; i++ {
		from := r.off
		if err := r.walk(1, false, false); err != nil {
			return err
		}
		k, err := readText(b[from:r.off])
		if err != nil {
			return fmt.Errorf("limit name: %w", err)
		}
		if _, dup := out[k]; dup {
			return fmt.Errorf("duplicate map key %q", k)
		}
		from = r.off
		if err := r.walk(1, false, false); err != nil {
			return err
		}
		if out[k], err = readUint(b[from:r.off]); err != nil {
			return fmt.Errorf("limit %q: %w", k, err)
		}
	}
	if r.off != len(b) {
		return errors.New("trailing bytes after map")
	}
	*m = out
	return nil
}

// coseInt is an integer COSE_Key parameter, read by hand (see uintMap).
type coseInt int64

func (c *coseInt) UnmarshalCBOR(b []byte) error {
	v, err := readInt(b)
	*c = coseInt(v)
	return err
}

type byteList struct {
	v  [][]byte
	ok bool
}

func (l *byteList) UnmarshalCBOR(b []byte) error {
	l.ok = true
	return decodeStrict(b, &l.v)
}

// audience is "tstr or [+ tstr]".
type audience struct {
	v   []string
	one [1]string // backing array for the single-product form
	ok  bool
}

func (a *audience) UnmarshalCBOR(b []byte) error {
	a.ok = true
	if len(b) > 0 && b[0]>>5 == majorText {
		s, err := readText(b)
		if err != nil {
			return err
		}
		a.one[0] = s
		a.v = a.one[:]
		return nil
	}
	var err error
	if a.v, err = readTexts(b); err != nil {
		return err
	}
	if len(a.v) == 0 {
		return fmt.Errorf("aud is an empty array")
	}
	return nil
}

// audienceValue is what issuers encode: one product as a text string, more
// as an array.
func audienceValue(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}

// coseKey is the COSE_Key of a grant's cnf claim: {1: 1, -1: 6, -2: x}.
type coseKey struct {
	Kty coseInt `cbor:"1,keyasint"`
	Crv coseInt `cbor:"-1,keyasint"`
	X   []byte  `cbor:"-2,keyasint"`
}

// cnf is the RFC 8747 confirmation claim holding a COSE_Key at label 1.
type cnf struct {
	Key *coseKey `cbor:"1,keyasint"`
}

// UnmarshalCBOR applies the strict rules to cnf's unknown members too.
func (c *cnf) UnmarshalCBOR(b []byte) error {
	type plain cnf
	var p plain
	wide, err := decodeMap(strictDM, b, &p)
	if err != nil {
		return err
	}
	if err := checkSkipped(b, count(p.Key != nil), wide, false); err != nil {
		return err
	}
	*c = cnf(p)
	return nil
}

// UnmarshalCBOR applies the strict rules to the COSE_Key's unknown
// parameters too.
func (k *coseKey) UnmarshalCBOR(b []byte) error {
	type plain coseKey
	var p plain
	wide, err := decodeMap(strictDM, b, &p)
	if err != nil {
		return err
	}
	// Kty and Crv are ints: count every known label that is present.
	if err := checkSkipped(b, 3, wide, false); err != nil {
		return err
	}
	*k = coseKey(p)
	return nil
}

// COSE_Key constants for an Ed25519 public key.
const (
	coseKtyOKP     = 1
	coseCrvEd25519 = 6
)

// Scalar readers for claim values. The claims map has already passed the
// strict decoder's well-formedness checks (definite lengths, no tags, no
// null or undefined, depth and size limits) before a field decoder sees
// its bytes, so these only check the type, the exact extent and UTF-8,
// without a second trip through the reflection-based decoder: claims
// decoding is on every verification's path.

func readText(b []byte) (string, error) {
	r := reader{b: b}
	major, n, err := r.head()
	if err != nil {
		return "", err
	}
	if major != majorText {
		return "", fmt.Errorf("want a text string, got CBOR major type %d", major)
	}
	if n != uint64(len(b)-r.off) {
		return "", errors.New("text string length does not match its item")
	}
	s := b[r.off:]
	if !utf8.Valid(s) {
		return "", errors.New("invalid UTF-8 in text string")
	}
	return string(s), nil
}

// readIntHead reads an item that is exactly one head: an integer's major
// type and argument (not yet checked to be an integer).
func readIntHead(b []byte) (major byte, n uint64, err error) {
	r := reader{b: b}
	if major, n, err = r.head(); err == nil && r.off != len(b) {
		err = errors.New("trailing bytes after integer")
	}
	return major, n, err
}

func readInt(b []byte) (int64, error) {
	major, n, err := readIntHead(b)
	switch {
	case err != nil:
		return 0, err
	case major != majorUint && major != majorNint:
		return 0, fmt.Errorf("want an integer, got CBOR major type %d", major)
	case n > math.MaxInt64:
		return 0, errors.New("integer out of range")
	case major == majorNint:
		return -1 - int64(n), nil
	}
	return int64(n), nil
}

// readUint reads exactly one unsigned integer (major type 0): not a
// simple value, not a negative integer.
func readUint(b []byte) (uint64, error) {
	major, n, err := readIntHead(b)
	switch {
	case err != nil:
		return 0, err
	case major != majorUint:
		return 0, fmt.Errorf("want an unsigned integer, got CBOR major type %d", major)
	}
	return n, nil
}

func readTexts(b []byte) ([]string, error) {
	r := reader{b: b}
	major, n, err := r.head()
	if err != nil {
		return nil, err
	}
	if major != majorArray {
		return nil, fmt.Errorf("want an array of text strings, got CBOR major type %d", major)
	}
	if n > uint64(len(b)-r.off) {
		return nil, errors.New("array longer than its item")
	}
	out := make([]string, 0, n)
	// One copy of the array's contents for all its strings, which are
	// substrings of it: one allocation, not one per element.
	start := r.off
	all := string(b[start:])
	ascii := isASCII(all) // then every element is valid UTF-8
	for i := uint64(0); i < n; i++ {
		major, l, err := r.head()
		if err != nil {
			return nil, err
		}
		if major != majorText {
			return nil, fmt.Errorf("want a text string in the array, got CBOR major type %d", major)
		}
		if l > uint64(len(b)-r.off) {
			return nil, errTruncated
		}
		s := all[r.off-start : r.off-start+int(l)]
		if !ascii && !utf8.ValidString(s) {
			return nil, errors.New("invalid UTF-8 in text string")
		}
		out = append(out, s)
		r.off += int(l)
	}
	if r.off != len(b) {
		return nil, errors.New("trailing bytes after array")
	}
	return out, nil
}

// isASCII reports whether s has no byte above 0x7f, eight bytes at a time.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if binary.LittleEndian.Uint64([]byte(s[i:i+8]))&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
