package token

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
)

// Every signature is checked after signing (never hand out an object that
// verifiers refuse), except that a software key (an ed25519.PrivateKey)
// has only its first signature checked. Verifying costs twice what
// signing does, and what can go wrong differs:
//
//   - Another crypto.Signer (a hardware or cloud key, a remote service)
//     may answer with the wrong key, a truncated or garbled signature, or
//     a signature over something else: each of its signatures is verified.
//   - crypto/ed25519 signing is deterministic code in this process. The
//     fault that does happen is a key whose two halves disagree (a seed
//     and a public key from different keys, a damaged file): every one of
//     its signatures fails to verify, and the first check catches it, as
//     it catches the key again after every failure. A transient fault (a
//     bit flipped in memory during one signature) is not caught; guarding
//     against that costs a verification per mint.
//
// The keys checked are remembered in checked, a bounded cache (cache.go).

// selfCheck reports whether sig, just made by signer, is a valid
// signature of tbs by pub: verified, unless signer is a software key
// whose first signature verified already.
func selfCheck(signer crypto.Signer, pub ed25519.PublicKey, tbs, sig []byte) bool {
	priv, soft := signer.(ed25519.PrivateKey)
	soft = soft && len(priv) == ed25519.PrivateKeySize
	var sum [sha256.Size]byte
	if soft {
		sum = sha256.Sum256(priv)
		if _, seen := checked.get(sum); seen {
			return true
		}
	}
	if !ed25519.Verify(pub, tbs, sig) {
		return false
	}
	if soft {
		checked.put(sum, struct{}{})
	}
	return true
}
