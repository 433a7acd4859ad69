// Package keys makes and stores licet signing keys: Ed25519 key generation,
// public and private key files, and the trust store (keyring) of public keys
// that a verifier believes.
//
// A key is an Ed25519 key pair plus the issuer id that travels with it: the
// iss claim of every license it signs. Its key id (kid) is the first 8 bytes
// of SHA-256 of the raw 32-byte public key ([token.KeyID]). [PrivateKey.Signer]
// is a [crypto.Signer], so [token.SignLicense] and friends take it directly.
//
// # Public key files
//
// A public key file is a PKIX "PUBLIC KEY" PEM block, as openssl writes it,
// preceded by comment lines that name the issuer and kid:
//
//	# licet public key
//	# issuer: acme
//	# kid: 0f1e2d3c4b5a6978
//	-----BEGIN PUBLIC KEY-----
//	MCowBQYDK2VwAyEA...
//	-----END PUBLIC KEY-----
//
// The comments sit before the block, not in PEM headers, because openssl
// refuses a PUBLIC KEY block with headers: "openssl pkey -pubin -in acme.pub
// -text" reads these files, and [ParsePublicKey] reads any PKIX Ed25519 PEM
// file made by openssl ("openssl pkey -in k.pem -pubout"), which then names
// no issuer. Only blank lines and "#" lines may surround the block; "# issuer:"
// and "# kid:" lines, when present, must agree with the key. Every public key
// read must pass [CheckPublicKey].
//
// # Encrypted private key files
//
// A private key file holds the 32-byte Ed25519 seed, encrypted under a
// passphrase:
//
//	-----BEGIN LICET ENCRYPTED PRIVATE KEY-----
//	Issuer: acme
//	Key-ID: 0f1e2d3c4b5a6978
//	Public-Key: <base64 of the 32-byte public key>
//	KDF: argon2id
//	KDF-Params: t=3,m=65536,p=4
//	Salt: <base64 of 16 random bytes>
//	Nonce: <base64 of 24 random bytes>
//
//	<base64 of XChaCha20-Poly1305(key, nonce, seed, associated data)>
//	-----END LICET ENCRYPTED PRIVATE KEY-----
//
// key = argon2id(passphrase, salt, t passes, m KiB, p threads, 32 bytes).
// The associated data is the block type and every header, in this order,
// each on its own line:
//
//	LICET ENCRYPTED PRIVATE KEY\n
//	Issuer: acme\n
//	Key-ID: 0f1e2d3c4b5a6978\n
//	... through Nonce
//
// so changing the issuer, kid, public key, KDF parameters, salt or nonce makes
// decryption fail, as does a wrong passphrase: both are [ErrWrongPassphrase].
// After decrypting, the public key derived from the seed must equal
// Public-Key. The headers must be exactly these, in this order, in canonical
// form (standard padded base64, lower-case hex, decimal without leading zeros).
// [ChangePassphrase] encrypts a file again under a new passphrase, with a
// fresh salt and nonce (`licet keys passwd`).
//
// The KDF parameters are stored in the file and capped when read: at most
// [MaxKDFTime] passes, [MaxKDFMemoryKiB] KiB and [MaxKDFThreads] threads.
// A file asking for more is refused with [ErrKDFTooExpensive] before any work
// and before the passphrase is asked for. New files use [DefaultKDF];
// [FastKDF] is for tests.
//
// [ReadKeyInfo] reads the issuer, kid and public key of any key file without
// its passphrase; for an encrypted file they are authenticated only when
// [ParsePrivateKey] decrypts it.
//
// # Unencrypted private key files
//
// For the sandbox and CI only, and only when asked for with
// [PrivateKey.MarshalUnencrypted], the seed is stored in clear, and the file
// says so:
//
//	-----BEGIN LICET PRIVATE KEY-----
//	Warning: UNENCRYPTED - sandbox and CI use only
//	Issuer: licet-sandbox
//	Key-ID: ...
//	Public-Key: ...
//
//	<base64 of the 32-byte seed>
//	-----END LICET PRIVATE KEY-----
//
// [ParsePrivateKey] accepts it without calling for a passphrase;
// [IsEncrypted] and [KeyInfo.Encrypted] tell the caller to warn. A public key
// file where a private one belongs gives [ErrNotPrivateKey], and the reverse
// [ErrNotPublicKey]. No input makes a parser panic: a truncated or garbled
// file gives an error that says what is wrong.
//
// # Writing files
//
// [WriteFile] writes atomically: a temporary file in the same directory
// (O_EXCL, mode 0600 until set to the requested mode), fsync, then rename.
// It never replaces an existing file unless forced, even when the file
// appears during the write. Write private keys with mode 0600.
//
// # Trust store
//
// A [TrustStore] is a human-editable JSON file of trusted public keys, each
// with its issuer, an optional window that bounds the iat of what it signed
// (a retired key keeps verifying what it issued before not_after), a revoked
// flag and a note:
//
//	{
//	  "licet_keyring": 1,
//	  "keys": [
//	    {
//	      "issuer": "acme",
//	      "kid": "0f1e2d3c4b5a6978",
//	      "public_key": "<standard base64 of the raw 32-byte key>",
//	      "not_before": "2026-01-01T00:00:00Z",
//	      "not_after": "2027-07-01T00:00:00Z",
//	      "revoked": false,
//	      "note": "2026 signing key"
//	    }
//	  ]
//	}
//
// Parsing is strict: the version must be 1, unknown or repeated fields are
// refused, each kid is recomputed from its key and must match, kids are
// unique, and every key must pass [CheckPublicKey]. [TrustStore.KeySet]
// gives the [verify.KeySet] that [verify.New] takes.
//
// # Sandbox key
//
// [Sandbox] returns a fixed key whose seed is SHA-256("licet sandbox key v1")
// and whose issuer is [SandboxIssuer]. It is public knowledge, for demos and
// tests: the repository holds it as testdata/sandbox/sandbox.key and
// sandbox.pub. Never trust it in a product.
package keys
