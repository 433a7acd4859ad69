package token

import (
	"bytes"
	"math"
	"reflect"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// The struct decoders of the CBOR library skip the values of unknown
// claims and header labels after a well-formedness check, and they cannot
// hold an integer key outside int64. The functions here cover both: a walk
// that applies every strict rule to a whole item, at every level, and a
// retry that drops top-level integer keys no int64 holds (unknown labels,
// ignored per FORMAT section 3) before the struct decoder sees the map.

// decodeMap decodes the map in data into v (a pointer to a struct) with
// dm. When that fails and the map has integer keys outside int64, it
// decodes again a copy without them, and reports wide.
func decodeMap(dm cbor.DecMode, data []byte, v any) (wide bool, err error) {
	err = dm.Unmarshal(data, v)
	if err == nil {
		return false, nil
	}
	narrow, dropped := dropWideKeys(data)
	if !dropped {
		return false, err
	}
	reflect.ValueOf(v).Elem().SetZero()
	return true, dm.Unmarshal(narrow, v)
}

// dropWideKeys returns a copy of the map in data without the pairs whose
// key is an integer outside int64, and whether there were any. On input
// that is not a well-formed map it reports false: the caller's error
// stands.
func dropWideKeys(data []byte) ([]byte, bool) {
	r := reader{b: data}
	major, n, err := r.head()
	if err != nil || major != majorMap || n > MaxMapPairs {
		return nil, false
	}
	type span struct{ from, to int }
	var keep []span
	dropped := 0
	for i := uint64(0); i < n; i++ {
		from := r.off
		km, karg, err := r.head()
		if err != nil {
			return nil, false
		}
		wide := (km == majorUint || km == majorNint) && karg > math.MaxInt64
		r.off = from
		if r.walk(0, true, false) != nil { // the key
			return nil, false
		}
		if r.walk(0, true, false) != nil { // the value
			return nil, false
		}
		if wide {
			dropped++
		} else {
			keep = append(keep, span{from, r.off})
		}
	}
	if dropped == 0 || r.off != len(data) {
		return nil, false
	}
	out := appendHead(make([]byte, 0, len(data)), majorMap, n-uint64(dropped))
	for _, s := range keep {
		out = append(out, data[s.from:s.to]...)
	}
	return out, true
}

// checkSkipped applies the strict rules to what the struct decoder did not
// look at. When the map in data has more pairs than the known fields the
// struct decoder filled (known), or wide keys were dropped, the whole item
// is walked: duplicate keys (compared by value), null and undefined, tags
// (only tag 18 where tag18 allows it: the protected header's embedded
// grant), invalid UTF-8, nesting and size limits, at every level. Tokens
// without unknown keys pay nothing.
func checkSkipped(data []byte, known int, wide, tag18 bool) error {
	r := reader{b: data}
	major, n, err := r.head()
	if err != nil || major != majorMap || (n <= uint64(known) && !wide) {
		return nil // the struct decoder has already judged the shape
	}
	r.off = 0
	if err := r.walk(0, tag18, true); err != nil {
		return err
	}
	if r.off != len(data) {
		return malformedf("%d trailing bytes", len(data)-r.off)
	}
	return nil
}

// walk moves past one data item, refusing what strict decoding refuses.
// With dups it also refuses duplicate map keys.
func (r *reader) walk(depth int, tag18, dups bool) error {
	if depth > MaxNesting {
		return malformedf("nested deeper than %d", MaxNesting)
	}
	if r.off >= len(r.b) {
		return errTruncated
	}
	ai := r.b[r.off] & 0x1f
	major, n, err := r.head()
	if err != nil {
		return err
	}
	left := uint64(len(r.b) - r.off)
	switch major {
	case majorBytes, majorText:
		if n > left {
			return errTruncated
		}
		if major == majorText && !utf8.Valid(r.b[r.off:r.off+int(n)]) {
			return malformedf("invalid UTF-8 in a text string")
		}
		r.off += int(n)
	case majorArray:
		if n > MaxArrayItems {
			return malformedf("array of %d items, limit %d", n, MaxArrayItems)
		}
		if n > left {
			return errTruncated
		}
		for i := uint64(0); i < n; i++ {
			if err := r.walk(depth+1, tag18, dups); err != nil {
				return err
			}
		}
	case majorMap:
		if n > MaxMapPairs {
			return malformedf("map of %d pairs, limit %d", n, MaxMapPairs)
		}
		if n > left/2 {
			return errTruncated
		}
		var stack [16][]byte
		keys := stack[:0]
		for i := uint64(0); i < n; i++ {
			from := r.off
			if from >= len(r.b) {
				return errTruncated
			}
			switch r.b[from] >> 5 {
			case majorUint, majorNint, majorBytes, majorText, majorSimple:
			default:
				return malformedf("map key of major type %d is not allowed", r.b[from]>>5)
			}
			if err := r.walk(depth+1, tag18, dups); err != nil {
				return err
			}
			key := r.b[from:r.off]
			if dups {
				for _, k := range keys {
					if sameKey(k, key) {
						return malformedf("duplicate map key %x", key)
					}
				}
				keys = append(keys, key)
			}
			if err := r.walk(depth+1, tag18, dups); err != nil {
				return err
			}
		}
	case majorTag:
		if !tag18 || n != 18 {
			return malformedf("tag %d is not allowed here", n)
		}
		return r.walk(depth+1, tag18, dups)
	case majorSimple:
		switch {
		case ai < 24 && (n == 22 || n == 23):
			return malformedf("null and undefined are not allowed")
		case ai == 24 && n < 32:
			return malformedf("simple value %d in two bytes", n)
		}
	}
	return nil
}

// sameKey reports whether two encoded map keys are the same value:
// integers by value, strings by content, floats by value, simple values
// by number. Encodings of different lengths of one value are equal.
func sameKey(a, b []byte) bool {
	ra, rb := reader{b: a}, reader{b: b}
	ma, na, _ := ra.head()
	mb, nb, _ := rb.head()
	if ma != mb {
		return false
	}
	switch ma {
	case majorBytes, majorText:
		return bytes.Equal(a[ra.off:], b[rb.off:])
	case majorSimple:
		fa, aFloat := floatKey(a[0]&0x1f, na)
		fb, bFloat := floatKey(b[0]&0x1f, nb)
		if aFloat || bFloat {
			return aFloat && bFloat && (fa == fb || (math.IsNaN(fa) && math.IsNaN(fb)))
		}
		return na == nb
	}
	return na == nb
}

// floatKey returns the value of a major-type-7 item with additional
// information ai and argument n, when it is a float.
func floatKey(ai byte, n uint64) (float64, bool) {
	switch ai {
	case 25:
		return halfToFloat(uint16(n)), true
	case 26:
		return float64(math.Float32frombits(uint32(n))), true
	case 27:
		return math.Float64frombits(n), true
	}
	return 0, false
}

// halfToFloat converts an IEEE 754 half-precision value.
func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10&0x1f), float64(h&0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return sign * math.Inf(1)
	}
	return sign * math.Ldexp(frac+1024, exp-25)
}
