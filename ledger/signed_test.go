package ledger_test

import (
	"context"
	"strings"
	"testing"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/note"
)

// TestAppendSignsCheckpoint: every append stores, in its transaction, a
// checkpoint of the key's log signed by the key, whose size and root are
// the log's; appends without a signer, with another key's signer or with
// records of two keys are refused and store nothing.
func TestAppendSignsCheckpoint(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { testAppendSignsCheckpoint(t, b.open(t)) })
	}
}

func testAppendSignsCheckpoint(t *testing.T, location string) {
	ctx := context.Background()
	l := openLedger(t, location)
	k, other := testKey(t, "acme"), testKey(t, "globex")
	kid := hexOf(token.KeyID(k.Public().Key))
	lic := func(sub string) []byte { return mintLicense(t, k, licenseSpec{sub: sub, tier: "pro", days: 30}, nil) }

	if _, err := l.Append(ctx, nil, ledger.Record{Raw: lic("a")}); err == nil || !strings.Contains(err.Error(), "no checkpoint signer") {
		t.Errorf("a nil signer: %v", err)
	}
	if _, err := l.Append(ctx, signerOf(t, other), ledger.Record{Raw: lic("a")}); err == nil || !strings.Contains(err.Error(), "the checkpoint signer signs for "+checkpoint.Origin(hexOf(token.KeyID(other.Public().Key)))) {
		t.Errorf("another key's signer: %v", err)
	}
	mixed := []ledger.Record{{Raw: lic("a")}, {Raw: mintLicense(t, other, licenseSpec{sub: "b", tier: "pro"}, nil)}}
	if _, err := l.Append(ctx, signerOf(t, k), mixed...); err == nil || !strings.Contains(err.Error(), "record 2 is signed by key") {
		t.Errorf("records of two keys: %v", err)
	}
	// A note signer under the right name but another key: its signature
	// does not verify under the log's key.
	impostor, err := checkpoint.NewSigner(checkpoint.Origin(kid), other.Signer())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, noPublic{impostor}, ledger.Record{Raw: lic("a"), PublicKey: k.Public().Key}); err == nil || !strings.Contains(err.Error(), "does not sign with the log's key") {
		t.Errorf("a signer of another key under the log's name: %v", err)
	}
	if _, err := l.Append(ctx, noPublic{impostor}, ledger.Record{Raw: lic("a")}); err == nil || !strings.Contains(err.Error(), "public key is unknown") {
		t.Errorf("a log without a known public key: %v", err)
	}
	if cps, _ := l.SignedCheckpoints(ctx, ""); len(cps) != 0 {
		t.Fatalf("refused appends stored %d checkpoints", len(cps))
	}

	mustAppend(t, l, k, ledger.Record{Raw: lic("c1"), OrderRef: "PO-1"})
	mustAppend(t, l, k, ledger.Record{Raw: lic("c2")}, ledger.Record{Raw: lic("c3"), OrderRef: "PO-3"})
	cps, err := l.SignedCheckpoints(ctx, kid)
	if err != nil || len(cps) != 2 || cps[0].Size != 1 || cps[1].Size != 3 {
		t.Fatalf("SignedCheckpoints = %+v, %v", cps, err)
	}
	if mirrored, _ := l.Checkpoints(ctx, ""); len(mirrored) != 0 {
		t.Errorf("the signed checkpoints are listed as mirrored: %+v", mirrored)
	}
	head, _ := l.TreeHead(ctx, kid)
	c, err := checkpoint.Open(cps[1].Note, checkpoint.Origin(kid), k.Public().Key, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size != 3 || c.Root != head.Hash || cps[1].Root != head.Hash || len(c.Extensions) != 1 || !strings.HasPrefix(c.Extensions[0], "licet-issuer-data ") {
		t.Errorf("the checkpoint %+v does not match the head %+v", c, head)
	}
	if r, err := l.Verify(ctx); err != nil || !r.OK() {
		t.Errorf("Verify: %+v, %v", r, err)
	}
}

// noPublic hides the Public method of a signer: a note.Signer that does
// not say its public key.
type noPublic struct{ note.Signer }
