package verify

// This file is licet's Ed25519 speed work, in one place (issues 13 and
// 20). What it claims, and what shows it:
//
//   - Same answer as crypto/ed25519 for every input, with and without a
//     key's table: TestEdKeyWycheproof, TestEdKeyVectors,
//     TestEdKeyDifferential, TestEdKeyTorsionKeys and FuzzEdKey
//     (ed25519_test.go, wycheproof_test.go).
//   - A key's table of multiples is built only once the key has shown it
//     is hot, at its verification number hotAfter+1, never at the second:
//     TestEdKeyTableWhenHot, and TestConcurrentVerifiers (cache_test.go)
//     with -race.
//   - Speed, as ratios to raw ed25519.Verify in the same run (medians of
//     per-iteration ratios, benchmarks, never timed tests; bench_test.go):
//     BenchmarkColdVsEd25519 (new key set, verifier, first verification
//     of a text license; target 1.05), BenchmarkNthVsEd25519 (the n-th
//     verification by a fresh verifier), BenchmarkFirstNVsEd25519 (the
//     first n together), BenchmarkVerifyVsEd25519 (warm; target 0.55).
//     The bench module's Targets reports the same figures with their
//     spread.
//   - Before a key is hot, R' is computed here too (doubleBaseMultNAF,
//     the algorithm of crypto/ed25519), over a base point table built
//     with one inversion instead of 64: a process that verifies once
//     (licet verify) saves about 0.2 ms; bench/cli.sh times it against
//     openssl. The equivalence tests above cover this path (plain).

import (
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// edKey is an Ed25519 public key prepared once for many verifications:
// its encoding, and its point decompressed and negated, with a table of
// multiples of it built once it has verified hotAfter times. No
// verification by it pays for point decompression, and once it is hot
// none does the 252 doublings of a double-base scalar multiplication.
//
// Its verify gives crypto/ed25519's answer for every input (cofactorless
// RFC 8032 with the strictness Go has always had): a 64-byte signature
// whose top three bits are clear and whose S is canonical (S < l),
// k = SHA-512(R || A || M) mod l over the key's encoding exactly as given,
// R' = [S]B + [k](-A), accepted only if R' encodes to the signature's R
// byte for byte. A key encoding that is not a point (crypto/ed25519
// refuses it on every call) verifies nothing. TestEdKeyWycheproof,
// TestEdKeyVectors, TestEdKeyDifferential and FuzzEdKey compare it with
// crypto/ed25519.
//
// Once a key is hot, the computation of R' differs:
// [S]B and [k](-A) are both fixed-base
// multiplications over precomputed tables (signed radix 16, 64 mixed
// additions each and 4 doublings in all), where crypto/ed25519 does a
// double-base multiplication with 252 doublings. Both are exact in the
// whole group (points with a torsion component included), so R' is the
// same point; the encoding is the canonical one.
type edKey struct {
	pub  [ed25519.PublicKeySize]byte
	negA edwards25519.Point
	ok   bool // pub decodes to a point

	uses  atomic.Int64 // verifications so far
	once  sync.Once
	table *fixedBase // multiples of negA, built once the key is hot
}

// hotAfter is the number of verifications by a key after which it is
// hot: verification hotAfter+1 builds its table (about two to three raw
// verifications' worth of work, 30 KiB) and uses it, and every later one
// costs about half a raw verification. A product that verifies once at
// start, or a few times, never pays for a table; one that keeps verifying
// with the key recovers the build within a few more verifications
// (BenchmarkFirstNVsEd25519).
const hotAfter = 8

// init prepares k, a zero edKey, for pub and returns k. A pub of the
// wrong length verifies nothing, as no point has that encoding.
func (k *edKey) init(pub ed25519.PublicKey) *edKey {
	if len(pub) != ed25519.PublicKeySize {
		return k
	}
	copy(k.pub[:], pub)
	// SetBytes accepts the encodings crypto/ed25519 accepts: it is the
	// same code, vendored in the standard library as
	// crypto/internal/fips140/edwards25519.
	var a edwards25519.Point
	if _, err := a.SetBytes(pub); err == nil {
		k.negA.Negate(&a)
		k.ok = true
	}
	return k
}

// verify reports whether sig is a valid Ed25519 signature of msg by k,
// with exactly the answer of ed25519.Verify(pub, msg, sig). The first
// verifications by k compute R' as crypto/ed25519 does; once k is hot
// (hotAfter verifications done), they build and use the table, so that a
// key prepared for a few verifications only (a product's check at start,
// a grant's partner key) never pays for one.
func (k *edKey) verify(msg, sig []byte) bool {
	return k.verifyWith(msg, sig, k.uses.Add(1) > hotAfter)
}

// verifyWith is verify, with the table or without.
func (k *edKey) verifyWith(msg, sig []byte, table bool) bool {
	if !k.ok || len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		return false
	}
	var s edwards25519.Scalar
	if _, err := s.SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(k.pub[:])
	h.Write(msg)
	var digest [sha512.Size]byte
	var hk edwards25519.Scalar
	if _, err := hk.SetUniformBytes(h.Sum(digest[:0])); err != nil {
		return false // cannot happen: the digest is 64 bytes
	}
	// [S]B = R + [k]A  <=>  R = [S]B + [k](-A)
	var r extPoint
	if !table {
		r.doubleBaseMultNAF(&hk, &k.negA, &s)
	} else {
		k.once.Do(func() { k.table = newFixedBase(&k.negA) })
		r.doubleBaseMult(&s, baseTable(), &hk, k.table)
	}
	var enc [32]byte
	return subtle.ConstantTimeCompare(sig[:32], r.encode(&enc)) == 1
}

// partnerKeys prepares the partner keys of grants, which are not in the
// key set, and keeps the last few: a product sees licenses under few
// grants, so the second license under a grant (or the same one again)
// finds its key decompressed, and from then on with its table. The
// prepared key depends only on the key's bytes, which the grant's
// signature has vouched for before get is called.
type partnerKeys struct {
	mu sync.Mutex
	m  map[[ed25519.PublicKeySize]byte]*edKey
}

// maxPartnerKeys bounds partnerKeys; when full it starts again empty.
const maxPartnerKeys = 16

// get returns pub prepared.
func (p *partnerKeys) get(pub ed25519.PublicKey) *edKey {
	if len(pub) != ed25519.PublicKeySize {
		return new(edKey).init(pub) // verifies nothing
	}
	id := [ed25519.PublicKeySize]byte(pub)
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.m[id]; ok {
		return k
	}
	if p.m == nil || len(p.m) >= maxPartnerKeys {
		p.m = make(map[[ed25519.PublicKeySize]byte]*edKey)
	}
	k := new(edKey).init(pub)
	p.m[id] = k
	return k
}

// A fixedBase holds multiples of one point P for variable-time fixed-base
// multiplication: entry [i][j] is (j+1)·256^i·P, in affine Niels form.
// It takes 30 KiB.
type fixedBase [32][8]nielsPoint

// nielsPoint is an affine point (x, y) as y+x, y-x and 2dxy, the form
// that a mixed addition reads.
type nielsPoint struct{ ypx, ymx, t2d field.Element }

// extPoint is a point in extended coordinates: x = X/Z, y = Y/Z,
// xy = T/Z.
type extPoint struct{ x, y, z, t field.Element }

// d2 is 2d, d = -121665/121666 the curve constant.
var d2 = func() *field.Element {
	var one, num, den, d field.Element
	one.One()
	num.Mult32(&one, 121665)
	num.Negate(&num)
	den.Mult32(&one, 121666)
	den.Invert(&den)
	d.Multiply(&num, &den)
	return new(field.Element).Add(&d, &d)
}()

var baseTable = sync.OnceValue(func() *fixedBase {
	return newFixedBase(edwards25519.NewGeneratorPoint())
})

// newFixedBase builds the table of p: 256 doublings (4S+4M each, in
// extended coordinates) and 224 additions (9M), then one inversion for
// all 256 points (Montgomery's trick).
func newFixedBase(p *edwards25519.Point) *fixedBase {
	var pts [32 * 8]extPoint
	var base extPoint
	base.set(p)
	for i := 0; i < 32; i++ {
		row := pts[i*8 : i*8+8]
		row[0] = base
		var c cachedPoint
		c.from(&base)
		for j := 1; j < 8; j++ {
			row[j] = row[j-1]
			row[j].addCached(&c, false, true)
		}
		for n := 0; n < 8; n++ {
			base.double(true)
		}
	}
	t := new(fixedBase)
	toNiels(pts[:], func(i int) *nielsPoint { return &t[i/8][i%8] })
	return t
}

// toNiels writes pts in affine Niels form to at(0), at(1), ..., with one
// field inversion for all (Montgomery's trick).
func toNiels(pts []extPoint, at func(int) *nielsPoint) {
	var buf [32 * 8]field.Element // the largest table's size: no allocation
	prods := buf[:len(pts)]
	var acc field.Element
	acc.One()
	for i := range pts {
		prods[i].Set(&acc)
		acc.Multiply(&acc, &pts[i].z)
	}
	acc.Invert(&acc) // 1 / (z_0 z_1 ... z_n)
	for i := len(pts) - 1; i >= 0; i-- {
		var zinv, x, y field.Element
		zinv.Multiply(&acc, &prods[i]) // 1 / z_i
		acc.Multiply(&acc, &pts[i].z)
		x.Multiply(&pts[i].x, &zinv)
		y.Multiply(&pts[i].y, &zinv)
		n := at(i)
		n.ypx.Add(&y, &x)
		n.ymx.Subtract(&y, &x)
		n.t2d.Multiply(&x, &y)
		n.t2d.Multiply(&n.t2d, d2)
	}
}

// cachedPoint is a point in extended coordinates as Y+X, Y-X, Z and 2dT,
// the form that an addition of two extended points reads.
type cachedPoint struct{ ypx, ymx, z, t2d field.Element }

// from sets c to p.
func (c *cachedPoint) from(p *extPoint) {
	c.ypx.Add(&p.y, &p.x)
	c.ymx.Subtract(&p.y, &p.x)
	c.z.Set(&p.z)
	c.t2d.Multiply(&p.t, d2)
}

// addCached sets v = v + q, or v - q when neg (9 multiplications, 8
// without T). withT computes v's T, which only an addition reads.
func (v *extPoint) addCached(q *cachedPoint, neg, withT bool) {
	qp, qm := &q.ypx, &q.ymx
	if neg {
		qp, qm = qm, qp
	}
	var ypx, ymx, pp, mm, tt2d, zz2 field.Element
	ypx.Add(&v.y, &v.x)
	ymx.Subtract(&v.y, &v.x)
	pp.Multiply(&ypx, qp)
	mm.Multiply(&ymx, qm)
	tt2d.Multiply(&v.t, &q.t2d)
	zz2.Multiply(&v.z, &q.z)
	zz2.Add(&zz2, &zz2)
	var e, f, g, h field.Element
	e.Subtract(&pp, &mm)
	h.Add(&pp, &mm)
	if neg {
		g.Subtract(&zz2, &tt2d)
		f.Add(&zz2, &tt2d)
	} else {
		g.Add(&zz2, &tt2d)
		f.Subtract(&zz2, &tt2d)
	}
	// Completed (e:h:g:f) to extended.
	v.x.Multiply(&e, &f)
	v.y.Multiply(&h, &g)
	v.z.Multiply(&g, &f)
	if withT {
		v.t.Multiply(&e, &h)
	}
}

// set sets v to p.
func (v *extPoint) set(p *edwards25519.Point) {
	X, Y, Z, T := p.ExtendedCoordinates()
	v.x.Set(X)
	v.y.Set(Y)
	v.z.Set(Z)
	v.t.Set(T)
}

// baseNAF returns B, 3B, 5B, ..., 127B, B the base point, in affine
// Niels form: the table of the width-8 non-adjacent form of S in a key's
// verifications before it is hot. It is built once per process, at the
// first verification, with one inversion for all 64 points.
// filippo.io/edwards25519 and crypto/ed25519 build the same table with
// one inversion per point (about 0.2 ms, most of what a process that
// verifies once spends on the signature: licet verify, issue 20).
func baseNAF() *[64]nielsPoint {
	baseNAFOnce.Do(func() {
		var pts [64]extPoint
		pts[0].set(edwards25519.NewGeneratorPoint())
		two := pts[0]
		two.double(true)
		var c cachedPoint
		c.from(&two)
		for i := 1; i < 64; i++ {
			pts[i] = pts[i-1]
			pts[i].addCached(&c, false, true)
		}
		toNiels(pts[:], func(i int) *nielsPoint { return &baseNAFTable[i] })
	})
	return &baseNAFTable
}

// baseNAFTable is baseNAF's table, static so that building it allocates
// nothing.
var (
	baseNAFOnce  sync.Once
	baseNAFTable [64]nielsPoint
)

// nafDigits returns the width-w non-adjacent form of s (2 <= w <= 8):
// digits that are 0 or odd with |d| < 2^(w-1), s = sum(d_i 2^i), any w
// consecutive of them holding at most one non-zero.
func nafDigits(s *edwards25519.Scalar, w uint) [256]int8 {
	b := s.Bytes()
	var x [5]uint64
	for i := 0; i < 4; i++ {
		x[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	var d [256]int8
	width := uint64(1) << w
	mask := width - 1
	carry := uint64(0)
	for pos := uint(0); pos < 256; {
		word, bit := pos/64, pos%64
		buf := x[word] >> bit
		if bit > 64-w {
			buf |= x[word+1] << (64 - bit)
		}
		window := carry + buf&mask
		if window&1 == 0 {
			// An even window: the digit here is 0; a carry of 1 into a
			// window of all ones makes it even too.
			pos++
			continue
		}
		if window < width/2 {
			carry = 0
			d[pos] = int8(window)
		} else {
			carry = 1
			d[pos] = int8(int64(window) - int64(width))
		}
		pos += w
	}
	return d
}

// doubleBaseMultNAF sets v = [k]P + [s]B, P the point negA was built
// from and B the base point, as crypto/ed25519 computes it for a
// verification: one pass of 253 doublings over the width-5 NAF of k
// (multiples of P built here) and the width-8 NAF of s (baseNAF).
func (v *extPoint) doubleBaseMultNAF(k *edwards25519.Scalar, p *edwards25519.Point, s *edwards25519.Scalar) {
	var pt [8]cachedPoint // P, 3P, ..., 15P
	var acc, two extPoint
	acc.set(p)
	two = acc
	two.double(true)
	var c2 cachedPoint
	c2.from(&two)
	pt[0].from(&acc)
	for i := 1; i < 8; i++ {
		acc.addCached(&c2, false, true)
		pt[i].from(&acc)
	}
	bt := baseNAF()
	kd, sd := nafDigits(k, 5), nafDigits(s, 8)
	i := 255
	for i >= 0 && kd[i] == 0 && sd[i] == 0 {
		i--
	}
	v.x.Zero()
	v.y.One()
	v.z.One()
	v.t.Zero()
	for ; i >= 0; i-- {
		dk, ds := kd[i], sd[i]
		v.double(dk != 0 || ds != 0)
		switch {
		case dk > 0:
			v.addCached(&pt[dk/2], false, ds != 0)
		case dk < 0:
			v.addCached(&pt[-dk/2], true, ds != 0)
		}
		switch {
		case ds > 0:
			v.addNiels(&bt[ds/2], false, false)
		case ds < 0:
			v.addNiels(&bt[-ds/2], true, false)
		}
	}
}

// signedRadix16 writes s, a canonical scalar (below 2^253), as 64 digits
// in [-8, 8] with s = sum(d_i 16^i).
func signedRadix16(s *edwards25519.Scalar) [64]int8 {
	b := s.Bytes()
	var d [64]int8
	for i := 0; i < 32; i++ {
		d[2*i] = int8(b[i] & 15)
		d[2*i+1] = int8(b[i] >> 4)
	}
	for i := 0; i < 63; i++ {
		carry := (d[i] + 8) >> 4
		d[i] -= carry << 4
		d[i+1] += carry
	}
	return d
}

// doubleBaseMult sets v = [a]P + [b]Q for the points P and Q of the
// tables tp and tq: the odd digits' multiples summed, times 16, plus the
// even digits' multiples.
func (v *extPoint) doubleBaseMult(a *edwards25519.Scalar, tp *fixedBase, b *edwards25519.Scalar, tq *fixedBase) {
	ad, bd := signedRadix16(a), signedRadix16(b)
	v.x.Zero()
	v.y.One()
	v.z.One()
	v.t.Zero()
	for i := 1; i < 64; i += 2 {
		v.addDigit(&tp[i/2], ad[i])
		v.addDigit(&tq[i/2], bd[i])
	}
	for n := 0; n < 4; n++ {
		v.double(n == 3)
	}
	for i := 0; i < 64; i += 2 {
		v.addDigit(&tp[i/2], ad[i])
		v.addDigit(&tq[i/2], bd[i])
	}
}

// addDigit adds d times the point of row to v: row[d-1] for d > 0, its
// negation for d < 0, nothing for 0.
func (v *extPoint) addDigit(row *[8]nielsPoint, d int8) {
	switch {
	case d > 0:
		v.addNiels(&row[d-1], false, true)
	case d < 0:
		v.addNiels(&row[-d-1], true, true)
	}
}

// addNiels sets v = v + q, or v - q when neg (a mixed addition: 7
// multiplications, 6 without T). withT computes v's T, which only an
// addition reads.
func (v *extPoint) addNiels(q *nielsPoint, neg, withT bool) {
	qp, qm := &q.ypx, &q.ymx
	if neg { // -(x, y) = (-x, y): y+x and y-x trade places, 2dxy changes sign
		qp, qm = qm, qp
	}
	var ypx, ymx, pp, mm, tt2d, z2 field.Element
	ypx.Add(&v.y, &v.x)
	ymx.Subtract(&v.y, &v.x)
	pp.Multiply(&ypx, qp)
	mm.Multiply(&ymx, qm)
	tt2d.Multiply(&v.t, &q.t2d)
	z2.Add(&v.z, &v.z)
	var e, f, g, h field.Element
	e.Subtract(&pp, &mm)
	h.Add(&pp, &mm)
	if neg {
		g.Subtract(&z2, &tt2d)
		f.Add(&z2, &tt2d)
	} else {
		g.Add(&z2, &tt2d)
		f.Subtract(&z2, &tt2d)
	}
	// Completed (e:h:g:f) to extended.
	v.x.Multiply(&e, &f)
	v.y.Multiply(&h, &g)
	v.z.Multiply(&g, &f)
	if withT {
		v.t.Multiply(&e, &h)
	}
}

// double sets v = 2v (4 squarings and 4 multiplications, 3 without T).
// It does not read v's T; withT computes the result's, which only an
// addition reads.
func (v *extPoint) double(withT bool) {
	var xx, yy, zz2, s field.Element
	xx.Square(&v.x)
	yy.Square(&v.y)
	zz2.Square(&v.z)
	zz2.Add(&zz2, &zz2)
	s.Add(&v.x, &v.y)
	s.Square(&s)
	var e, h, g, f field.Element
	h.Add(&yy, &xx)
	g.Subtract(&yy, &xx)
	e.Subtract(&s, &h)
	f.Subtract(&zz2, &g)
	v.x.Multiply(&e, &f)
	v.y.Multiply(&h, &g)
	v.z.Multiply(&g, &f)
	if withT {
		v.t.Multiply(&e, &h)
	}
}

// encode writes the canonical 32-byte encoding of v to out and returns it.
func (v *extPoint) encode(out *[32]byte) []byte {
	var zinv, x, y field.Element
	zinv.Invert(&v.z)
	x.Multiply(&v.x, &zinv)
	y.Multiply(&v.y, &zinv)
	copy(out[:], y.Bytes())
	out[31] |= byte(x.IsNegative() << 7)
	return out[:]
}
