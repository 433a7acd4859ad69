package issue

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// Rotation is a rotation grant: a grant from the issuer to itself, signed
// by its previous key for its current key, so that products that trust
// only the previous key accept what the current key signs.
type Rotation struct {
	Grant *token.Grant
	Raw   []byte        // the grant's raw bytes, embedded in each license
	Entry *ledger.Entry // the grant's entry; its KID is the previous key
}

// Rotation returns the rotation grant that licenses signed by the
// Issuer's key carry, or nil when none is needed. The rule: a grant
// recorded in the ledger, from the issuer to itself (partner = issuer),
// for this key, signed by another key, and current (issued, not before
// its not-before, not after its expiry). Its expiry is the end of the
// rotation, the date chosen at 'licet keys rotate --until' after which no
// product in the field trusts only the previous key; from then on nothing
// is attached. Of several, the one that runs longest is used.
//
// While a [Pool] of the Issuer runs, the grants are read from the ledger
// at most once a second: one recorded meanwhile (by licet keys rotate, on
// another process) is attached within a second.
func (is *Issuer) Rotation(ctx context.Context) (*Rotation, error) {
	is.rotMu.Lock()
	ttl, list, at := is.rotationTTL, is.rotations, is.rotationsAt
	is.rotMu.Unlock()
	if ttl == 0 || list == nil || time.Since(at) >= ttl {
		read := time.Now()
		var err error
		if list, err = rotationGrants(ctx, is.Ledger, is.Name); err != nil {
			return nil, err
		}
		if ttl > 0 {
			is.rotMu.Lock()
			is.rotations, is.rotationsAt = list, read
			is.rotMu.Unlock()
		}
	}
	return currentRotation(list, is.Name, is.PublicKey, is.now()), nil
}

// rotationGrants returns the grants of issuer name to itself (never nil).
func rotationGrants(ctx context.Context, led *ledger.Ledger, name string) ([]*ledger.Entry, error) {
	list, err := led.List(ctx, ledger.Filter{Kind: ledger.KindGrant, Partner: name})
	if list == nil && err == nil {
		list = []*ledger.Entry{}
	}
	return list, err
}

// CurrentRotation is [Issuer.Rotation] for the key pub of issuer name at
// time now.
func CurrentRotation(ctx context.Context, led *ledger.Ledger, name string, pub ed25519.PublicKey, now time.Time) (*Rotation, error) {
	list, err := rotationGrants(ctx, led, name)
	if err != nil {
		return nil, err
	}
	return currentRotation(list, name, pub, now), nil
}

// currentRotation chooses the rotation grant of the key pub at now among
// the grants of issuer name to itself (see Issuer.Rotation).
func currentRotation(list []*ledger.Entry, name string, pub ed25519.PublicKey, now time.Time) *Rotation {
	kid := hex.EncodeToString(token.KeyID(pub))
	var best *Rotation
	for _, e := range list {
		if e.Issuer != name || e.KID == kid {
			continue
		}
		g, ok := grantKeyIs(e.Raw, pub)
		if !ok {
			continue
		}
		start := g.IssuedAt
		if !g.NotBefore.IsZero() {
			start = g.NotBefore
		}
		if now.Before(start) || now.After(g.Expiry) {
			continue
		}
		if best == nil || g.Expiry.After(best.Grant.Expiry) {
			best = &Rotation{Grant: g, Raw: e.Raw, Entry: e}
		}
	}
	return best
}

// ListSigner is the key that signs an issuer's revocation lists.
type ListSigner struct {
	KID       string            // hex
	PublicKey ed25519.PublicKey // nil when the ledger does not hold it
	// File is its private key file, from the workspace ([Workspace]); ""
	// when the workspace does not know it.
	File string
	// Rotated is set when it is not the key asked about: the previous key
	// of a rotation still current.
	Rotated bool
}

// RevocationSigner answers which key signs revocation lists for the
// issuer name whose current key is pub: while a rotation is current (see
// [CurrentRotation]) some products in the field trust only the previous
// key, and products released since trust both, the previous one retired.
// A retired key still signs revocation lists (a list only takes trust
// away), so the previous key is the one every product accepts: it is
// returned, with its file when the workspace ws (may be nil) records it.
// Without a current rotation, the key pub itself signs. Partner grants
// asked of the new key are signed by the same key ('licet grant'): a
// grant cannot carry the rotation grant (grants do not nest), so only the
// previous key's grant is known to products that trust only it.
func RevocationSigner(ctx context.Context, led *ledger.Ledger, ws *Workspace, name string, pub ed25519.PublicKey, now time.Time) (*ListSigner, error) {
	rot, err := CurrentRotation(ctx, led, name, pub, now)
	if err != nil {
		return nil, err
	}
	if rot == nil {
		s := &ListSigner{KID: hex.EncodeToString(token.KeyID(pub)), PublicKey: pub}
		if ws != nil {
			s.File = ws.File(s.KID)
		}
		return s, nil
	}
	s := &ListSigner{KID: rot.Entry.KID, Rotated: true}
	logs, err := led.Logs(ctx)
	if err != nil {
		return nil, err
	}
	for _, g := range logs {
		if g.KID == s.KID {
			s.PublicKey = g.PublicKey
		}
	}
	if ws != nil {
		s.File = ws.File(s.KID)
	}
	return s, nil
}

// WorkspaceFile is the name of the file, beside the signing keys, where
// 'licet keys rotate' records which key file holds which key.
const WorkspaceFile = "licet-keys.json"

// Workspace is what an issuer's workspace records about its keys: each
// key's id, issuer and private key file, and which key replaced it. It is
// kept in [WorkspaceFile] in the directory of the keys; file names are
// relative to that directory. It holds no secret.
type Workspace struct {
	Dir  string       `json:"-"`
	Keys []*KeyRecord `json:"keys"`
}

// KeyRecord is one key of a [Workspace].
type KeyRecord struct {
	KID    string `json:"kid"`
	Issuer string `json:"issuer"`
	File   string `json:"file"` // the private key file, relative to the workspace
	// RotatedTo is the kid of the key that replaced this one; "" for none.
	RotatedTo string `json:"rotated_to,omitempty"`
	// Grant is the id of the rotation grant this key signed for
	// RotatedTo.
	Grant string `json:"grant,omitempty"`
}

// LoadWorkspace reads the workspace of directory dir; a missing file is an
// empty workspace.
func LoadWorkspace(dir string) (*Workspace, error) {
	ws := &Workspace{Dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, WorkspaceFile))
	if errors.Is(err, fs.ErrNotExist) {
		return ws, nil
	}
	if err != nil {
		return nil, fmt.Errorf("issue: %w", err)
	}
	if err := json.Unmarshal(data, ws); err != nil {
		return nil, fmt.Errorf("issue: %s: %v", filepath.Join(dir, WorkspaceFile), err)
	}
	return ws, nil
}

// Save writes the workspace file atomically.
func (ws *Workspace) Save() error {
	data, err := json.MarshalIndent(ws, "", "  ")
	if err != nil {
		return err
	}
	return keys.WriteFile(filepath.Join(ws.Dir, WorkspaceFile), append(data, '\n'), 0o644, true)
}

// Key returns the record of key kid, nil when there is none.
func (ws *Workspace) Key(kid string) *KeyRecord {
	i := slices.IndexFunc(ws.Keys, func(k *KeyRecord) bool { return k.KID == kid })
	if i < 0 {
		return nil
	}
	return ws.Keys[i]
}

// File returns the private key file of key kid as a path (joined to the
// workspace directory), "" when unknown.
func (ws *Workspace) File(kid string) string {
	k := ws.Key(kid)
	if k == nil || k.File == "" {
		return ""
	}
	if filepath.IsAbs(k.File) {
		return k.File
	}
	return filepath.Join(ws.Dir, k.File)
}

// Put records key kid of issuer in file (made relative to the workspace
// when it lies inside it), replacing an earlier record of kid.
func (ws *Workspace) Put(kid, issuer, file string) *KeyRecord {
	if abs, err := filepath.Abs(file); err == nil {
		if dir, err := filepath.Abs(ws.Dir); err == nil {
			if rel, err := filepath.Rel(dir, abs); err == nil && filepath.IsLocal(rel) {
				file = rel
			}
		}
	}
	k := ws.Key(kid)
	if k == nil {
		k = &KeyRecord{KID: kid}
		ws.Keys = append(ws.Keys, k)
	}
	k.Issuer, k.File = issuer, file
	return k
}
