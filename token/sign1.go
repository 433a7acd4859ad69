package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Object types (the typ protected header, FORMAT section 1).
const (
	TypeLicense     = "application/licet-license+cwt"
	TypeGrant       = "application/licet-grant+cwt"
	TypeRevocations = "application/licet-revocations+cwt"
)

// COSE algorithm identifiers accepted for Ed25519 signatures. Issuers emit
// [AlgEdDSA]; verifiers accept both.
const (
	AlgEdDSA   = -8
	AlgEd25519 = -19
)

// Protected header labels.
const (
	labelAlg  = 1
	labelCrit = 2
	labelKID  = 4
	labelKCWT = 13
	labelTyp  = 16
)

// KeyIDSize is the length of a key id: the first bytes of SHA-256 of the raw
// 32-byte Ed25519 public key.
const KeyIDSize = 8

// KeyID returns the key id of an Ed25519 public key (FORMAT section 2). It
// panics if pub is not 32 bytes long, as crypto/ed25519 does.
func KeyID(pub ed25519.PublicKey) []byte {
	if len(pub) != ed25519.PublicKeySize {
		panic("token: bad Ed25519 public key length")
	}
	sum := sha256.Sum256(pub)
	return sum[:KeyIDSize]
}

// Header is the decoded protected header of a COSE_Sign1 envelope.
type Header struct {
	// Alg is the alg label, or 0 when absent or not an integer. Verifiers
	// accept only [AlgEdDSA] and [AlgEd25519].
	Alg int64
	// KID is the 8-byte key id of the signing key.
	KID []byte
	// Typ is the object type, "" when absent or not a text string.
	Typ string
	// Grant is the grant embedded at label 13 (licenses only), parsed but
	// not verified. Nil when absent.
	Grant *Message
	// NestedGrant reports that the embedded grant itself carries a label 13.
	// Such a chain is never valid; it is recorded so that verifiers can say
	// so instead of calling it malformed.
	NestedGrant bool
}

// Message is a parsed COSE_Sign1 envelope: the exact bytes that travel, and
// the decoded protected header. Nothing in it is verified.
type Message struct {
	// Raw is the whole COSE_Sign1, tag included.
	Raw []byte
	// Protected is the content of the protected header byte string, exactly
	// as signed.
	Protected []byte
	// Header is Protected decoded.
	Header Header
	// Payload is the content of the payload byte string, exactly as signed.
	Payload []byte
	// Signature is the 64-byte Ed25519 signature.
	Signature []byte
}

// ParseMessage parses raw COSE_Sign1 bytes (not armored; see [Decode] for
// the text forms). It checks the structure of FORMAT section 2 and the
// strict decoding rules of section 8 for the envelope and protected header,
// and nothing else: it neither checks the signature nor decodes the claims.
// Every error wraps [ErrMalformed].
func ParseMessage(raw []byte) (*Message, error) {
	if len(raw) > MaxTokenSize {
		return nil, malformedf("object of %d bytes exceeds the %d-byte limit", len(raw), MaxTokenSize)
	}
	return parseMessage(raw, false)
}

func parseMessage(raw []byte, embedded bool) (*Message, error) {
	// The envelope's heads must be in shortest form: the signature covers
	// only the contents, so longer heads would give one signed object many
	// encodings (and many hashes).
	r := reader{b: raw, shortest: true}
	if major, tag, err := r.head(); err != nil {
		return nil, err
	} else if major != majorTag || tag != 18 {
		return nil, malformedf("not a COSE_Sign1: expected tag 18")
	}
	if major, n, err := r.head(); err != nil {
		return nil, err
	} else if major != majorArray || n != 4 {
		return nil, malformedf("COSE_Sign1 must be an array of 4 items")
	}
	m := &Message{Raw: raw}
	var err error
	if m.Protected, err = r.bytes("protected header"); err != nil {
		return nil, err
	}
	if major, n, err := r.head(); err != nil {
		return nil, err
	} else if major != majorMap || n != 0 {
		return nil, malformedf("unprotected header must be an empty map")
	}
	if m.Payload, err = r.bytes("payload"); err != nil {
		return nil, err
	}
	if m.Signature, err = r.bytes("signature"); err != nil {
		return nil, err
	}
	if len(m.Signature) != ed25519.SignatureSize {
		return nil, malformedf("signature is %d bytes, want %d", len(m.Signature), ed25519.SignatureSize)
	}
	if r.off != len(raw) {
		if embedded {
			return nil, malformedf("embedded grant has %d trailing bytes", len(raw)-r.off)
		}
		return nil, malformedf("%d trailing bytes after COSE_Sign1", len(raw)-r.off)
	}
	if err := m.parseHeader(embedded); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Message) parseHeader(embedded bool) error {
	if len(m.Protected) == 0 {
		return nil // an empty header: no alg, no kid; reported by the checks below
	}
	// Tags are refused everywhere in the header except as the tag 18 of
	// the embedded grant at label 13. The CBOR library strips some tags
	// (55799) before a field decoder sees them, so the header's items are
	// walked here first, byte by byte.
	if err := checkHeaderItems(m.Protected); err != nil {
		return err
	}
	var w protectedWire
	wide, err := decodeMap(headerDM, m.Protected, &w)
	if err != nil {
		return wrapMalformed("protected header", err)
	}
	if err := checkSkipped(m.Protected, count(w.Alg.ok, w.Crit != nil, w.KID.v != nil, w.KCWT != nil, w.Typ.ok), wide, true); err != nil {
		return wrapMalformed("protected header", err)
	}
	m.Header.Alg, m.Header.KID, m.Header.Typ = w.Alg.v, w.KID.v, w.Typ.v
	if len(m.Header.KID) != KeyIDSize {
		return malformedf("kid must be a byte string of %d bytes", KeyIDSize)
	}
	if w.Crit != nil {
		var labels []any
		if err := decodeStrict(w.Crit, &labels); err != nil || len(labels) == 0 {
			return malformedf("crit must be a non-empty array of labels")
		}
		for _, l := range labels {
			switch headerLabel(l) {
			case labelAlg, labelKID, labelKCWT, labelTyp:
			default:
				return malformedf("crit names header label %v, which is not understood", l)
			}
		}
	}
	if w.KCWT != nil {
		if embedded {
			m.Header.NestedGrant = true
			return nil
		}
		grant, err := parseMessage(w.KCWT, true)
		if err != nil {
			return wrapMalformed("embedded grant", err)
		}
		m.Header.Grant = grant
	}
	return nil
}

// checkHeaderItems checks the shape of a protected header: a definite map
// whose labels are integers or text, with no tag anywhere except a tag 18
// directly on the value of label 13, and every value strict at every level
// (duplicate keys, null and undefined, UTF-8, limits). Duplicate labels
// are left to the CBOR library.
func checkHeaderItems(b []byte) error {
	r := reader{b: b}
	major, n, err := r.head()
	if err != nil {
		return wrapMalformed("protected header", err)
	}
	if major != majorMap {
		return malformedf("protected header must be a map")
	}
	if n > uint64(len(b)) {
		return malformedf("protected header: truncated")
	}
	for i := uint64(0); i < n; i++ {
		km, karg, err := r.head()
		if err != nil {
			return wrapMalformed("protected header", err)
		}
		grant := false
		switch km {
		case majorUint:
			grant = karg == labelKCWT
		case majorNint:
		case majorText:
			if karg > uint64(len(b)-r.off) {
				return malformedf("protected header: truncated")
			}
			r.off += int(karg)
		default:
			return malformedf("protected header label of major type %d", km)
		}
		if grant {
			tm, tag, err := r.head()
			if err != nil {
				return wrapMalformed("protected header", err)
			}
			if tm != majorTag || tag != 18 {
				return malformedf("embedded grant (label 13) must be a COSE_Sign1 with tag 18")
			}
		}
		// Every value, known label or not, obeys the strict rules at
		// every level: a known label of the wrong type (alg as a map,
		// typ as an array) is reported by its own check only when it is
		// well formed.
		if err := r.walk(1, false, true); err != nil {
			return wrapMalformed("protected header", err)
		}
	}
	if r.off != len(b) {
		return malformedf("protected header: %d trailing bytes", len(b)-r.off)
	}
	return nil
}

// protectedWire is the protected header as decoded. Its field types alias
// the header bytes where they can, so that parsing a header does not
// allocate.
type protectedWire struct {
	Alg  algLabel        `cbor:"1,keyasint"`
	Crit cbor.RawMessage `cbor:"2,keyasint"`
	KID  kidLabel        `cbor:"4,keyasint"`
	KCWT cbor.RawMessage `cbor:"13,keyasint"`
	Typ  typLabel        `cbor:"16,keyasint"`
}

// algLabel keeps an integer alg; any other type leaves 0 (unsupported).
type algLabel struct {
	v  int64
	ok bool
}

func (a *algLabel) UnmarshalCBOR(b []byte) error {
	a.ok = true
	if len(b) > 0 && b[0]>>5 <= 1 && decodeStrict(b, &a.v) != nil {
		a.v = 0
	}
	return nil
}

// kidLabel keeps the key id, aliasing the header bytes.
type kidLabel struct{ v []byte }

func (k *kidLabel) UnmarshalCBOR(b []byte) error {
	if len(b) == 1+KeyIDSize && b[0] == majorBytes<<5|KeyIDSize {
		k.v = b[1:]
		return nil
	}
	if err := decodeStrict(b, &k.v); err != nil {
		return fmt.Errorf("kid must be a byte string of %d bytes: %w", KeyIDSize, err)
	}
	return nil
}

// typLabel keeps a text typ; any other type leaves "" (wrong type). The
// three licet types are recognized without allocating.
type typLabel struct {
	v  string
	ok bool
}

var knownTypes = func() map[string]string {
	m := make(map[string]string)
	for _, t := range []string{TypeLicense, TypeGrant, TypeRevocations} {
		m[string(append(appendHead(nil, majorText, uint64(len(t))), t...))] = t
	}
	return m
}()

func (t *typLabel) UnmarshalCBOR(b []byte) error {
	t.ok = true
	if typ, ok := knownTypes[string(b)]; ok {
		t.v = typ
		return nil
	}
	if len(b) > 0 && b[0]>>5 == majorText {
		return decodeStrict(b, &t.v)
	}
	return nil
}

// headerLabel returns an integer label decoded as any, or -1 for anything
// else (text labels, integers out of range).
func headerLabel(k any) int64 {
	switch k := k.(type) {
	case uint64:
		if k <= 1<<31 {
			return int64(k)
		}
	case int64:
		return k
	}
	return -1
}

// AppendToBeSigned appends to dst (nil for a new slice) the Sig_structure
// of RFC 9052 section 4.4 for m: ["Signature1", protected, empty bstr,
// payload], over the exact bytes that were received.
func (m *Message) AppendToBeSigned(dst []byte) []byte {
	return appendSigStructure(dst, m.Protected, m.Payload)
}

func appendSigStructure(b, protected, payload []byte) []byte {
	const context = "Signature1"
	if b == nil {
		b = make([]byte, 0, 1+1+len(context)+9+len(protected)+1+9+len(payload))
	}
	b = append(b, 0x84)
	b = appendHead(b, majorText, uint64(len(context)))
	b = append(b, context...)
	b = appendHead(b, majorBytes, uint64(len(protected)))
	b = append(b, protected...)
	b = append(b, 0x40)
	b = appendHead(b, majorBytes, uint64(len(payload)))
	b = append(b, payload...)
	return b
}

// checkSigner checks what sign and NewLicenseSigner take: a signer with
// an Ed25519 public key, which it returns, and grant, nil or the raw
// COSE_Sign1 of a grant.
func checkSigner(signer crypto.Signer, grant []byte) (ed25519.PublicKey, error) {
	if signer == nil {
		return nil, errors.New("token: nil signer")
	}
	pub, ok := signer.Public().(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("token: signer has a %T public key, want Ed25519", signer.Public())
	}
	if grant != nil {
		g, err := ParseMessage(grant)
		if err != nil {
			return nil, fmt.Errorf("token: embedding grant: %w", err)
		}
		if g.Header.Typ != TypeGrant {
			return nil, fmt.Errorf("token: embedding grant: object has type %q, want %q", g.Header.Typ, TypeGrant)
		}
	}
	return pub, nil
}

// sign builds and signs a COSE_Sign1 of type typ over payload. The signer's
// public key must be Ed25519; its key id goes into the header. grant, when
// not nil, is the raw COSE_Sign1 of a grant, embedded at label 13.
func sign(signer crypto.Signer, typ string, payload, grant []byte) ([]byte, error) {
	pub, err := checkSigner(signer, grant)
	if err != nil {
		return nil, err
	}
	protected := appendProtected(nil, KeyID(pub), typ, grant)
	tbs := appendSigStructure(nil, protected, payload)
	sig, err := signTBS(signer, tbs) // ed25519sign.go
	if err != nil {
		return nil, fmt.Errorf("token: signing: %w", err)
	}
	// selfcheck.go: every signature is verified, but a software key's
	// first only.
	if len(sig) != ed25519.SignatureSize || !selfCheck(signer, pub, tbs, sig) {
		return nil, errors.New("token: signer returned an invalid Ed25519 signature")
	}
	out := make([]byte, 0, 1+1+9*3+len(protected)+1+len(payload)+len(sig)+2)
	out = append(out, 0xd2, 0x84)
	out = appendHead(out, majorBytes, uint64(len(protected)))
	out = append(out, protected...)
	out = append(out, 0xa0)
	out = appendHead(out, majorBytes, uint64(len(payload)))
	out = append(out, payload...)
	out = appendHead(out, majorBytes, uint64(len(sig)))
	out = append(out, sig...)
	// Never sign what verifiers refuse. The text forms are about a third
	// larger: whoever armors the object checks the form it writes
	// (checkSize).
	if err := checkSize(out, FormRaw); err != nil {
		return nil, err
	}
	return out, nil
}

// appendProtected appends the protected header {1: -8, 4: kid, 13: grant,
// 16: typ} (label 13 only when grant is not nil) in core deterministic
// encoding, as encMode would write it (TestAppendProtected): integer
// labels in ascending order, every head in its shortest form, the grant's
// COSE_Sign1 as it is.
func appendProtected(b, kid []byte, typ string, grant []byte) []byte {
	n := uint64(3)
	if grant != nil {
		n = 4
	}
	b = appendHead(b, majorMap, n)
	b = append(b, labelAlg, majorNint<<5|(-1-AlgEdDSA))
	b = append(b, labelKID)
	b = appendHead(b, majorBytes, uint64(len(kid)))
	b = append(b, kid...)
	if grant != nil {
		b = append(b, labelKCWT)
		b = append(b, grant...)
	}
	b = append(b, labelTyp)
	b = appendHead(b, majorText, uint64(len(typ)))
	return append(b, typ...)
}

// Sign builds a COSE_Sign1 of type typ over payload, signed by signer, for
// callers that build their own claims (tests, other object types). Licenses,
// grants and revocation lists have typed helpers: [SignLicense],
// [SignGrant], [SignRevocations].
func Sign(signer crypto.Signer, typ string, payload []byte) ([]byte, error) {
	return sign(signer, typ, payload, nil)
}

// checkSize reports an error if raw, written in form, would be larger than
// verifiers accept ([MaxTokenSize]).
func checkSize(raw []byte, form Form) error {
	n := len(raw)
	switch form {
	case FormText:
		n = len(defaultPrefix) + 1 + b64url.EncodedLen(len(raw))
	case FormPEM:
		n = len(EncodePEM(raw, PEMRevocations, nil))
	}
	if n > MaxTokenSize {
		return fmt.Errorf("token: the object is %d bytes in %s form, over the %d-byte limit verifiers accept: carry fewer claims (scopes, ids), or use a more compact form", n, form, MaxTokenSize)
	}
	return nil
}
