package issue

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
)

// Issuer signs with one key and records what it signs in one ledger. It
// is the only path from terms to a handed-out token: check, unlock, sign,
// record (unwritten), write, mark written.
type Issuer struct {
	// Name is the issuer id of the key (the iss of what it signs).
	Name string
	// PublicKey is the signing key's public half, known before the key is
	// unlocked.
	PublicKey ed25519.PublicKey
	// Unlock returns the signer. It is called once, and only when
	// something is to be signed: after every check passed, never for an
	// order already issued.
	Unlock func() (crypto.Signer, error)
	// Ledger records every signed object before it is written.
	Ledger *ledger.Ledger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Write hands out the encoded token: to a new file, atomically (an
	// existing one is an error wrapping fs.ErrExist unless replace), or,
	// for file "", to the caller's stream.
	Write func(file string, data []byte, replace bool) error

	once   sync.Once
	signer crypto.Signer
	err    error

	cpOnce sync.Once
	cp     note.Signer
	cpErr  error

	// rotations caches the recorded rotation grants of the key for
	// rotationTTL, once a Pool runs (see NewPool); read under rotMu.
	rotMu       sync.Mutex
	rotationTTL time.Duration
	rotations   []*ledger.Entry
	rotationsAt time.Time
}

// KeyID returns the id of the signing key.
func (is *Issuer) KeyID() []byte { return token.KeyID(is.PublicKey) }

func (is *Issuer) now() time.Time {
	if is.Now == nil {
		return time.Now().UTC().Truncate(time.Second)
	}
	return is.Now().UTC().Truncate(time.Second)
}

// Signer unlocks the key (once) and returns it.
func (is *Issuer) Signer() (crypto.Signer, error) {
	is.once.Do(func() {
		if is.Unlock == nil {
			is.err = errors.New("issue: no key to unlock")
			return
		}
		is.signer, is.err = is.Unlock()
		if is.err == nil {
			if p, ok := is.signer.Public().(ed25519.PublicKey); !ok || !p.Equal(is.PublicKey) {
				is.err = errors.New("issue: the unlocked key is not the public key given")
			}
		}
	})
	return is.signer, is.err
}

// Out says where an issued token goes and in what form.
type Out struct {
	// File is where the token is written; "" hands it to the caller's
	// stream (Issuer.Write with "").
	File string
	// Replace lets an existing file be replaced (--force).
	Replace bool
	// Encode returns the bytes to write for a recorded entry (text, PEM
	// or raw form, with headers).
	Encode func(e *ledger.Entry) ([]byte, error)
	// Reply hands the token back in the caller's reply (an API response)
	// instead of to Issuer.Write, File being "": it is encoded before it
	// is recorded (Encode gets the entry that ledger.Describe makes of
	// the token, without an index) and recorded written in the append's
	// transaction, so that handing it out costs no second transaction.
	Reply bool
}

// Result is what was issued: the ledger entry and the bytes handed out.
type Result struct {
	Entry *ledger.Entry
	Data  []byte
	// File is where Data was written this time ("" for the caller's
	// stream); Entry.File keeps where the token was first written.
	File string
	// Existing is set when the order was issued before with the same
	// terms: nothing was signed, the recorded token was handed out again.
	Existing bool
	// Grant is the grant embedded in a license; nil for none.
	Grant *token.Grant
	// Rotation is set when Grant is the rotation grant that the Issuer
	// attached on its own.
	Rotation bool
}

// UnwrittenError is a token recorded in the ledger whose write failed:
// the ledger keeps it, marked unwritten.
type UnwrittenError struct {
	Entry *ledger.Entry
	Err   error
}

func (e *UnwrittenError) Error() string {
	return fmt.Sprintf("issue: %v (the %s %s is recorded, unwritten)", e.Err, e.Entry.Kind, e.Entry.ID)
}

func (e *UnwrittenError) Unwrap() error { return e.Err }

// Record is the end of every issuing path: it records raw (signed by the
// Issuer's key) in the ledger, unwritten, then writes it where out says,
// then marks it written. A failed write is an [*UnwrittenError]; a
// refused append (a [*ledger.DuplicateError]) writes nothing.
func (is *Issuer) Record(ctx context.Context, raw []byte, order, renewedFrom string, out Out) (*Result, error) {
	return is.record(ctx, ledger.Record{Raw: raw, OrderRef: order, RenewedFrom: renewedFrom, File: out.File, PublicKey: is.PublicKey}, out)
}

// record is Record of a ledger record (with its events, if set).
func (is *Issuer) record(ctx context.Context, rec ledger.Record, out Out) (*Result, error) {
	var data []byte
	if out.Reply {
		var err error
		if data, err = replyData(rec.Raw, out); err != nil {
			return nil, err
		}
		rec.Written = true
	}
	es, err := is.append(ctx, rec)
	if err != nil {
		return nil, err
	}
	e := es[0]
	if !out.Reply {
		if data, err = is.deliver(ctx, e, out); err != nil {
			return nil, err
		}
	}
	return &Result{Entry: e, Data: data, File: out.File}, nil
}

// replyData encodes a token that goes back in the caller's reply
// (Out.Reply), before it is recorded.
func replyData(raw []byte, out Out) ([]byte, error) {
	if out.File != "" {
		return nil, fmt.Errorf("issue: a token handed back in the reply goes to no file (%s)", out.File)
	}
	e, err := ledger.Describe(raw)
	if err != nil {
		return nil, err
	}
	return out.Encode(e)
}

// append records signed objects of the Issuer's key in the ledger, with
// a checkpoint of the key's log signed by the key, and with the
// [ledger.Audit] of ctx (who asked) when the records carry none.
func (is *Issuer) append(ctx context.Context, recs ...ledger.Record) ([]*ledger.Entry, error) {
	is.cpOnce.Do(func() {
		var s crypto.Signer
		if s, is.cpErr = is.Signer(); is.cpErr == nil {
			is.cp, is.cpErr = ledger.NewCheckpointSigner(s)
		}
	})
	if is.cpErr != nil {
		return nil, is.cpErr
	}
	setEvents(recs)
	if a := ledger.AuditOf(ctx); a != nil {
		for i := range recs {
			if recs[i].Audit == nil {
				recs[i].Audit = a
			}
		}
	}
	return is.Ledger.Append(ctx, is.cp, recs...)
}

// deliver encodes a recorded entry, writes it and marks it written.
func (is *Issuer) deliver(ctx context.Context, e *ledger.Entry, out Out) ([]byte, error) {
	data, err := out.Encode(e)
	if err != nil {
		return nil, &UnwrittenError{Entry: e, Err: err}
	}
	if err := is.Write(out.File, data, out.Replace); err != nil {
		return nil, &UnwrittenError{Entry: e, Err: err}
	}
	e.File = out.File
	if err := is.Ledger.MarkWrittenMany(ctx, []*ledger.Entry{e}); err != nil {
		return nil, &UnwrittenError{Entry: e, Err: err}
	}
	return data, nil
}

// Grant signs a grant (its ID, Issuer and IssuedAt set here), records it
// and writes it.
func (is *Issuer) Grant(ctx context.Context, g *token.Grant, out Out) (*Result, error) {
	g.IssuedAt = time.Time{}
	return is.GrantOrder(ctx, g, "", out)
}

// GrantOrder is [Issuer.Grant] under an order reference ("" for none),
// recorded with the grant, and with g.IssuedAt kept when set (the time
// its relative terms were counted from, so that a retry's terms asked
// at that time compare equal). An order recorded already is a
// [*ledger.DuplicateError]: callers look it up first, with
// [ledger.Ledger.ByOrder], to answer a retry with the recorded grant.
func (is *Issuer) GrantOrder(ctx context.Context, g *token.Grant, order string, out Out) (*Result, error) {
	gg := *g
	var err error
	if gg.ID, err = token.NewID(nil); err != nil {
		return nil, err
	}
	gg.Issuer = is.Name
	if gg.IssuedAt.IsZero() {
		gg.IssuedAt = is.now()
	}
	gg.IssuedAt = gg.IssuedAt.UTC().Truncate(time.Second)
	if err := gg.Validate(); err != nil {
		return nil, err
	}
	signer, err := is.Signer()
	if err != nil {
		return nil, err
	}
	raw, err := token.SignGrant(signer, &gg)
	if err != nil {
		return nil, err
	}
	*g = gg
	return is.Record(ctx, raw, order, "", out)
}
