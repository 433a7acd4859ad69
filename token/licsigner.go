package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"filippo.io/edwards25519"
)

// LicenseSigner signs licenses with one key under one grant, for a
// server that signs many (a lease server signs one per lease and
// renewal). What does not change from one license to the next is done
// once, in [NewLicenseSigner]: the grant is parsed and checked, the
// protected header (the key id, the type and the embedded grant) is
// encoded, and a software key's expansion (its secret scalar and nonce
// prefix) is computed. Each [LicenseSigner.Sign] still validates the
// license, encodes its claims and signs them: its bytes are exactly those
// of [SignLicense] with the same key and grant (TestLicenseSignerMatches).
//
// A LicenseSigner is safe for concurrent use. It holds the expanded
// software key for as long as the caller keeps it, as the key itself is
// held.
type LicenseSigner struct {
	signer crypto.Signer
	pub    ed25519.PublicKey
	// tbsPrefix is the Sig_structure up to the payload: the array head,
	// "Signature1", the protected header and the empty external AAD.
	tbsPrefix []byte
	// rawPrefix is the COSE_Sign1 up to the payload: tag, array head,
	// protected header, empty unprotected map.
	rawPrefix []byte
	// soft is set for a software key (an ed25519.PrivateKey): its
	// expansion, computed once.
	soft   bool
	scalar edwards25519.Scalar
	prefix [32]byte
	// verified is set once a signature of a software key verified: its
	// later ones are not checked (selfcheck.go).
	verified atomic.Bool
	// scratch holds *[]byte buffers for the claims, the bytes signed and
	// the object of SignText, which keeps only the text.
	scratch sync.Pool
}

// NewLicenseSigner returns a signer of licenses by signer under grant, the
// raw COSE_Sign1 of a grant (nil: licenses without a grant, as
// SignLicense with a nil grant). The grant is checked as SignLicense
// checks it; its claims and signature are not (see verify).
func NewLicenseSigner(signer crypto.Signer, grant []byte) (*LicenseSigner, error) {
	pub, err := checkSigner(signer, grant)
	if err != nil {
		return nil, err
	}
	if grant != nil {
		grant = append([]byte(nil), grant...) // the caller's slice may change
	}
	protected := appendProtected(nil, KeyID(pub), TypeLicense, grant)
	s := &LicenseSigner{signer: signer, pub: append(ed25519.PublicKey(nil), pub...)}
	s.tbsPrefix = appendSigStructure(nil, protected, nil)
	s.tbsPrefix = s.tbsPrefix[:len(s.tbsPrefix)-1] // without the empty payload's head
	s.rawPrefix = append([]byte{0xd2, 0x84}, appendHead(nil, majorBytes, uint64(len(protected)))...)
	s.rawPrefix = append(append(s.rawPrefix, protected...), 0xa0)
	if priv, ok := signer.(ed25519.PrivateKey); ok && len(priv) == ed25519.PrivateKeySize {
		expanded := sha512.Sum512(priv[:32])
		if _, err := s.scalar.SetBytesWithClamping(expanded[:32]); err != nil {
			panic("token: internal error: 32-byte scalar refused")
		}
		copy(s.prefix[:], expanded[32:])
		clear(expanded[:])
		s.soft = true
	}
	return s, nil
}

// PublicKey returns the public key of the signer.
func (s *LicenseSigner) PublicKey() ed25519.PublicKey { return s.pub }

// Sign validates l, encodes it and signs it: the raw COSE_Sign1, byte
// for byte what SignLicense returns for the signer's key and grant.
func (s *LicenseSigner) Sign(l *License) ([]byte, error) {
	bp := s.buffer()
	defer s.scratch.Put(bp)
	buf, raw, err := s.sign((*bp)[:0], l)
	*bp = buf[:0]
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), buf[raw:]...), nil
}

// buffer returns a scratch buffer from the pool.
func (s *LicenseSigner) buffer() *[]byte {
	if bp, ok := s.scratch.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 4096)
	return &b
}

// SignText is [LicenseSigner.Sign] in the compact text form, as
// [EncodeText] writes it (prefix "" is "licet1").
func (s *LicenseSigner) SignText(l *License, prefix string) (string, error) {
	if prefix == "" {
		prefix = defaultPrefix
	}
	if !ValidPrefix(prefix) {
		return "", fmt.Errorf("token: invalid prefix %q: use 1 to 32 characters of a-z, 0-9 and -", prefix)
	}
	bp := s.buffer()
	defer s.scratch.Put(bp)
	buf, off, err := s.sign((*bp)[:0], l)
	*bp = buf[:0]
	if err != nil {
		return "", err
	}
	raw := buf[off:]
	// The text is written into the string's own buffer, a chunk at a
	// time: no copy of the whole.
	var sb strings.Builder
	sb.Grow(len(prefix) + 1 + b64url.EncodedLen(len(raw)))
	sb.WriteString(prefix)
	sb.WriteByte('.')
	var chunk [1024]byte
	const step = len(chunk) / 4 * 3 // whole 3-byte groups: no padding inside
	for len(raw) > 0 {
		n := min(len(raw), step)
		m := b64url.EncodedLen(n)
		b64url.Encode(chunk[:m], raw[:n])
		sb.Write(chunk[:m])
		raw = raw[n:]
	}
	return sb.String(), nil
}

// sign appends to buf the claims, the Sig_structure and then the signed
// COSE_Sign1, from offset raw to the end.
func (s *LicenseSigner) sign(buf []byte, l *License) (_ []byte, raw int, err error) {
	if err := l.Validate(); err != nil {
		return buf, 0, err
	}
	buf = appendLicenseClaims(buf, l)
	payload := buf[:len(buf):len(buf)]
	tbs0 := len(buf)
	buf = append(buf, s.tbsPrefix...)
	buf = appendHead(buf, majorBytes, uint64(len(payload)))
	buf = append(buf, payload...)
	tbs := buf[tbs0:len(buf):len(buf)]
	var sig [ed25519.SignatureSize]byte
	if s.soft {
		signExpanded(&sig, &s.scalar, &s.prefix, s.pub, tbs)
	} else {
		b, err := signTBS(s.signer, tbs)
		if err != nil {
			return buf, 0, fmt.Errorf("token: signing: %w", err)
		}
		if len(b) != ed25519.SignatureSize {
			return buf, 0, errors.New("token: signer returned an invalid Ed25519 signature")
		}
		copy(sig[:], b)
	}
	// As selfCheck: every signature of another signer is verified, a
	// software key's until one verified.
	if !s.soft || !s.verified.Load() {
		if !ed25519.Verify(s.pub, tbs, sig[:]) {
			return buf, 0, errors.New("token: signer returned an invalid Ed25519 signature")
		}
		if s.soft {
			s.verified.Store(true)
		}
	}
	raw = len(buf)
	buf = append(buf, s.rawPrefix...)
	buf = appendHead(buf, majorBytes, uint64(len(payload)))
	buf = append(buf, payload...)
	buf = appendHead(buf, majorBytes, uint64(len(sig)))
	buf = append(buf, sig[:]...)
	if err := checkSize(buf[raw:], FormRaw); err != nil {
		return buf, 0, err
	}
	return buf, raw, nil
}

// signExpanded is signEd25519 with the key's expansion (secret scalar a,
// nonce prefix) given: the same signature.
func signExpanded(sig *[ed25519.SignatureSize]byte, a *edwards25519.Scalar, prefix *[32]byte, pub, msg []byte) {
	var digest [sha512.Size]byte
	h := sha512.New()
	h.Write(prefix[:])
	h.Write(msg)
	var r edwards25519.Scalar
	if _, err := r.SetUniformBytes(h.Sum(digest[:0])); err != nil {
		panic("token: internal error: 64-byte digest refused")
	}
	var R edwards25519.Point
	R.ScalarBaseMult(&r)
	rEnc := R.Bytes()
	h.Reset()
	h.Write(rEnc)
	h.Write(pub)
	h.Write(msg)
	var hk edwards25519.Scalar
	if _, err := hk.SetUniformBytes(h.Sum(digest[:0])); err != nil {
		panic("token: internal error: 64-byte digest refused")
	}
	var s edwards25519.Scalar
	s.MultiplyAdd(&hk, a, &r)
	copy(sig[:32], rEnc)
	copy(sig[32:], s.Bytes())
}
