package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// ErrWrongPassphrase is returned when an encrypted private key does not
// decrypt: the passphrase is wrong, or the file's headers or ciphertext were
// changed.
var ErrWrongPassphrase = errors.New("keys: wrong passphrase, or the key file was modified")

// ErrKDFTooExpensive is returned for an encrypted private key whose KDF
// parameters are above MaxKDFTime, MaxKDFMemoryKiB or MaxKDFThreads. It is
// detected before any work is done and before the passphrase is asked for.
var ErrKDFTooExpensive = errors.New("keys: the key file's KDF parameters are above the limits")

// Caps on the argon2id parameters of a key file, checked before deriving a key:
// a hostile file must not make us burn minutes or gigabytes.
const (
	MaxKDFTime      = 10         // passes
	MaxKDFMemoryKiB = 256 * 1024 // 256 MiB
	MaxKDFThreads   = 16
)

// KDFParams are argon2id parameters, stored in every encrypted key file and
// capped when read.
type KDFParams struct {
	Time      uint32 // passes
	MemoryKiB uint32
	Threads   uint8
}

// DefaultKDF returns the parameters of new encrypted key files: 3 passes
// over 64 MiB with 4 threads.
func DefaultKDF() KDFParams { return KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4} }

// FastKDF returns tiny parameters for tests only: 1 pass over 64 KiB. They
// are still argon2id and within the caps, but protect a passphrase poorly.
func FastKDF() KDFParams { return KDFParams{Time: 1, MemoryKiB: 64, Threads: 1} }

// String returns the parameters as stored in a key file: "t=3,m=65536,p=4".
func (p KDFParams) String() string {
	return fmt.Sprintf("t=%d,m=%d,p=%d", p.Time, p.MemoryKiB, p.Threads)
}

// check refuses parameters above the caps (ErrKDFTooExpensive) and below
// what argon2id accepts.
func (p KDFParams) check() error {
	return checkKDF(uint64(p.Time), uint64(p.MemoryKiB), uint64(p.Threads))
}

func checkKDF(t, m, p uint64) error {
	switch {
	case t > MaxKDFTime:
		return fmt.Errorf("%w: %d passes, at most %d", ErrKDFTooExpensive, t, MaxKDFTime)
	case m > MaxKDFMemoryKiB:
		return fmt.Errorf("%w: %d KiB of memory, at most %d", ErrKDFTooExpensive, m, MaxKDFMemoryKiB)
	case p > MaxKDFThreads:
		return fmt.Errorf("%w: %d threads, at most %d", ErrKDFTooExpensive, p, MaxKDFThreads)
	case t < 1 || p < 1:
		return fmt.Errorf("keys: invalid KDF parameters t=%d,m=%d,p=%d: passes and threads must be at least 1", t, m, p)
	case m < 8*p:
		return fmt.Errorf("keys: invalid KDF parameters t=%d,m=%d,p=%d: memory must be at least 8 KiB per thread", t, m, p)
	}
	return nil
}

// parseKDFParams parses "t=T,m=M,p=P" in exactly that form, checking the caps
// on the parsed values before anything is narrowed or computed.
func parseKDFParams(s string) (KDFParams, error) {
	parts := strings.Split(s, ",")
	var v [3]uint64
	if len(parts) != 3 {
		return KDFParams{}, fmt.Errorf("keys: malformed KDF-Params %q (want t=N,m=N,p=N)", s)
	}
	for i, prefix := range []string{"t=", "m=", "p="} {
		num, ok := strings.CutPrefix(parts[i], prefix)
		n, err := strconv.ParseUint(num, 10, 64)
		if !ok || err != nil || strconv.FormatUint(n, 10) != num {
			return KDFParams{}, fmt.Errorf("keys: malformed KDF-Params %q (want t=N,m=N,p=N)", s)
		}
		v[i] = n
	}
	if err := checkKDF(v[0], v[1], v[2]); err != nil {
		return KDFParams{}, err
	}
	return KDFParams{Time: uint32(v[0]), MemoryKiB: uint32(v[1]), Threads: uint8(v[2])}, nil
}

const (
	kdfName  = "argon2id"
	saltSize = 16
	// unencryptedWarning is the Warning header of an unencrypted key file.
	unencryptedWarning = "UNENCRYPTED - sandbox and CI use only"
)

// Header names, in file order.
var (
	encryptedHeaders = []string{"Issuer", "Key-ID", "Public-Key", "KDF", "KDF-Params", "Salt", "Nonce"}
	plainHeaders     = []string{"Warning", "Issuer", "Key-ID", "Public-Key"}
)

// encHeader is the parsed header of an encrypted key file.
type encHeader struct {
	issuer string
	pub    ed25519.PublicKey
	kdf    KDFParams
	salt   []byte
	nonce  []byte
}

// fields renders h canonically, in file order.
func (h *encHeader) fields() []field {
	return []field{
		{"Issuer", h.issuer},
		{"Key-ID", hex.EncodeToString(keyID(h.pub))},
		{"Public-Key", base64.StdEncoding.EncodeToString(h.pub)},
		{"KDF", kdfName},
		{"KDF-Params", h.kdf.String()},
		{"Salt", base64.StdEncoding.EncodeToString(h.salt)},
		{"Nonce", base64.StdEncoding.EncodeToString(h.nonce)},
	}
}

// associatedData is the canonical serialization of the block type and every
// header, in file order, authenticated by the AEAD: changing any of them
// makes decryption fail.
func associatedData(typ string, fs []field) []byte {
	var b bytes.Buffer
	b.WriteString(typ + "\n")
	for _, f := range fs {
		b.WriteString(f.name + ": " + f.value + "\n")
	}
	return b.Bytes()
}

// MarshalEncrypted returns k as an encrypted private key file: the seed
// encrypted with XChaCha20-Poly1305 under a key derived from passphrase with
// argon2id(kdf), with the file's headers as associated data. The passphrase
// must not be empty; kdf must be within the caps (else ErrKDFTooExpensive).
func (k *PrivateKey) MarshalEncrypted(passphrase []byte, kdf KDFParams) ([]byte, error) {
	return k.marshalEncrypted(rand.Reader, passphrase, kdf)
}

func (k *PrivateKey) marshalEncrypted(rand io.Reader, passphrase []byte, kdf KDFParams) ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	if len(passphrase) == 0 {
		return nil, errors.New("keys: the passphrase is empty; use MarshalUnencrypted for an unencrypted key")
	}
	if err := kdf.check(); err != nil {
		return nil, err
	}
	h := &encHeader{
		issuer: k.Issuer,
		pub:    k.Key.Public().(ed25519.PublicKey),
		kdf:    kdf,
		salt:   make([]byte, saltSize),
		nonce:  make([]byte, chacha20poly1305.NonceSizeX),
	}
	if _, err := io.ReadFull(rand, h.salt); err != nil {
		return nil, fmt.Errorf("keys: reading randomness: %w", err)
	}
	if _, err := io.ReadFull(rand, h.nonce); err != nil {
		return nil, fmt.Errorf("keys: reading randomness: %w", err)
	}
	fs := h.fields()
	key := argon2.IDKey(passphrase, h.salt, kdf.Time, kdf.MemoryKiB, kdf.Threads, chacha20poly1305.KeySize)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %v", err)
	}
	ct := aead.Seal(nil, h.nonce, k.Key.Seed(), associatedData(blockEncrypted, fs))
	return encodeArmor(blockEncrypted, fs, ct), nil
}

// MarshalUnencrypted returns k as an UNENCRYPTED private key file, for the
// sandbox and CI only: block type "LICET PRIVATE KEY" with the header
// "Warning: UNENCRYPTED - sandbox and CI use only". Anyone who reads the file
// can sign. It panics if k.Key is not 64 bytes long or k.Issuer is not a
// valid issuer id: such a PrivateKey was not made by this package.
func (k *PrivateKey) MarshalUnencrypted() []byte {
	if err := k.check(); err != nil {
		panic("keys: MarshalUnencrypted: " + strings.TrimPrefix(err.Error(), "keys: "))
	}
	pub := k.Key.Public().(ed25519.PublicKey)
	return encodeArmor(blockPlain, []field{
		{"Warning", unencryptedWarning},
		{"Issuer", k.Issuer},
		{"Key-ID", hex.EncodeToString(keyID(pub))},
		{"Public-Key", base64.StdEncoding.EncodeToString(pub)},
	}, k.Key.Seed())
}

// check refuses a PrivateKey that could not be written and read back.
func (k *PrivateKey) check() error {
	if len(k.Key) != ed25519.PrivateKeySize {
		return fmt.Errorf("keys: private key is %d bytes, want %d", len(k.Key), ed25519.PrivateKeySize)
	}
	return checkIssuer(k.Issuer)
}

// IsEncrypted reports whether data is an encrypted private key file (a
// "LICET ENCRYPTED PRIVATE KEY" block). It looks no further than the block
// type: ReadKeyInfo and ParsePrivateKey check the rest.
func IsEncrypted(data []byte) bool {
	a, err := parseArmor(data)
	return err == nil && a.typ == blockEncrypted
}

// KeyInfo describes any key file, public or private, without a passphrase.
type KeyInfo struct {
	// Public is the public key and issuer. For an encrypted private key they
	// come from the file's headers, and are only authenticated when the file
	// is decrypted with ParsePrivateKey.
	Public *PublicKey
	// Private is true for a private key file.
	Private bool
	// Encrypted is true for an encrypted private key file.
	Encrypted bool
}

// ReadKeyInfo reads what a key file says about itself: public or private,
// encrypted or not, issuer, key id and public key. It needs no passphrase,
// and checks everything that can be checked without one, including the KDF
// caps (ErrKDFTooExpensive).
func ReadKeyInfo(data []byte) (*KeyInfo, error) {
	a, err := parseArmor(data)
	if err != nil {
		return nil, err
	}
	switch a.typ {
	case blockPublic:
		p, err := parsePublic(a, data)
		if err != nil {
			return nil, err
		}
		return &KeyInfo{Public: p}, nil
	case blockPlain:
		k, err := parsePlain(a)
		if err != nil {
			return nil, err
		}
		return &KeyInfo{Public: k.Public(), Private: true}, nil
	case blockEncrypted:
		h, err := parseEncrypted(a)
		if err != nil {
			return nil, err
		}
		return &KeyInfo{Public: &PublicKey{Issuer: h.issuer, Key: h.pub}, Private: true, Encrypted: true}, nil
	}
	return nil, notAKey(a.typ)
}

func notAKey(typ string) error {
	if strings.Contains(typ, "PRIVATE KEY") {
		return fmt.Errorf("keys: the PEM block is %q, a private key in a format licet does not read; licet private keys are written by licet (%q)", typ, blockEncrypted)
	}
	return fmt.Errorf("keys: the PEM block is %q, not a licet key", typ)
}

// ParsePrivateKey parses a private key file. For an encrypted one it calls
// passphrase, once, after the file parsed and its KDF parameters passed the
// caps; an error from passphrase is returned as is. It is not called for an
// unencrypted file: the caller decides whether to warn (see IsEncrypted).
// A wrong passphrase or a modified file gives ErrWrongPassphrase; a public
// key file gives ErrNotPrivateKey.
func ParsePrivateKey(data []byte, passphrase func() ([]byte, error)) (*PrivateKey, error) {
	a, err := parseArmor(data)
	if err != nil {
		return nil, err
	}
	switch a.typ {
	case blockPlain:
		return parsePlain(a)
	case blockEncrypted:
	case blockPublic:
		return nil, ErrNotPrivateKey
	default:
		return nil, notAKey(a.typ)
	}
	h, err := parseEncrypted(a)
	if err != nil {
		return nil, err
	}
	if passphrase == nil {
		return nil, errors.New("keys: the private key is encrypted and no passphrase was given")
	}
	pass, err := passphrase()
	if err != nil {
		return nil, err
	}
	key := argon2.IDKey(pass, h.salt, h.kdf.Time, h.kdf.MemoryKiB, h.kdf.Threads, chacha20poly1305.KeySize)
	defer clear(key)
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %v", err)
	}
	seed, err := aead.Open(nil, h.nonce, a.body, associatedData(blockEncrypted, h.fields()))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	defer clear(seed)
	return newPrivate(h.issuer, seed, h.pub)
}

// newPrivate builds the key from its seed and checks it against the public
// key that the file states.
func newPrivate(issuer string, seed []byte, pub ed25519.PublicKey) (*PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("keys: the private key is %d bytes, want a %d-byte seed", len(seed), ed25519.SeedSize)
	}
	k := &PrivateKey{Issuer: issuer, Key: ed25519.NewKeyFromSeed(seed)}
	if !k.Key.Public().(ed25519.PublicKey).Equal(pub) {
		return nil, errors.New("keys: the private key does not match the Public-Key header: the key file was modified or is corrupt")
	}
	return k, nil
}

// parseKeyHeaders parses and checks the Issuer, Key-ID and Public-Key
// headers, and the comments before the block.
func parseKeyHeaders(a *armor, m map[string]string) (*PublicKey, error) {
	issuer := m["Issuer"]
	if !ValidIssuer(issuer) {
		return nil, fmt.Errorf("keys: the Issuer header %q is not a valid issuer id (1 to 64 characters of A-Z a-z 0-9 . _ : @ -)", issuer)
	}
	pub, err := base64.StdEncoding.Strict().DecodeString(m["Public-Key"])
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("keys: the Public-Key header is not the base64 of a 32-byte key")
	}
	if err := CheckPublicKey(pub); err != nil {
		return nil, fmt.Errorf("keys: the Public-Key header: %s", strings.TrimPrefix(err.Error(), "keys: "))
	}
	if want := hex.EncodeToString(keyID(pub)); m["Key-ID"] != want {
		return nil, fmt.Errorf("keys: the Key-ID header %q does not match the Public-Key header (kid %s): the key file was modified or is corrupt", m["Key-ID"], want)
	}
	p := &PublicKey{Issuer: issuer, Key: pub}
	if err := a.checkComments(p); err != nil {
		return nil, err
	}
	return p, nil
}

func parsePlain(a *armor) (*PrivateKey, error) {
	m, err := a.headerMap(plainHeaders...)
	if err != nil {
		return nil, err
	}
	if m["Warning"] != unencryptedWarning {
		return nil, fmt.Errorf("keys: the Warning header of an unencrypted key must read %q", unencryptedWarning)
	}
	p, err := parseKeyHeaders(a, m)
	if err != nil {
		return nil, err
	}
	return newPrivate(p.Issuer, a.body, p.Key)
}

// parseEncrypted parses and checks everything that can be checked without
// the passphrase: the headers, the KDF caps and the ciphertext's length.
func parseEncrypted(a *armor) (*encHeader, error) {
	m, err := a.headerMap(encryptedHeaders...)
	if err != nil {
		return nil, err
	}
	p, err := parseKeyHeaders(a, m)
	if err != nil {
		return nil, err
	}
	if m["KDF"] != kdfName {
		return nil, fmt.Errorf("keys: unsupported KDF %q (want %s)", m["KDF"], kdfName)
	}
	kdf, err := parseKDFParams(m["KDF-Params"])
	if err != nil {
		return nil, err
	}
	salt, err := base64.StdEncoding.Strict().DecodeString(m["Salt"])
	if err != nil || len(salt) != saltSize {
		return nil, fmt.Errorf("keys: the Salt header is not the base64 of %d bytes", saltSize)
	}
	nonce, err := base64.StdEncoding.Strict().DecodeString(m["Nonce"])
	if err != nil || len(nonce) != chacha20poly1305.NonceSizeX {
		return nil, fmt.Errorf("keys: the Nonce header is not the base64 of %d bytes", chacha20poly1305.NonceSizeX)
	}
	if want := ed25519.SeedSize + chacha20poly1305.Overhead; len(a.body) != want {
		return nil, fmt.Errorf("keys: the encrypted key is %d bytes, want %d: the key file is truncated or corrupt", len(a.body), want)
	}
	h := &encHeader{issuer: p.Issuer, pub: p.Key, kdf: kdf, salt: salt, nonce: nonce}
	for i, f := range h.fields() {
		if a.headers[i].value != f.value {
			return nil, fmt.Errorf("keys: the %s header is not in canonical form (want %q)", f.name, f.value)
		}
	}
	return h, nil
}
