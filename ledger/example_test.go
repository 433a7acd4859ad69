package ledger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/licet/licet/ledger"
	"golang.org/x/mod/sumdb/tlog"
)

// An issuer records a license before handing it out, marks it written,
// then checks the ledger and proves the license is in its key's log.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ledger-example")
	defer os.RemoveAll(dir)
	l, err := ledger.Open(ctx, filepath.Join(dir, ledger.DefaultFile))
	if err != nil {
		panic(err)
	}
	defer l.Close()

	k := exampleKey()
	raw := exampleLicense(k, "customer-42") // the signed COSE_Sign1 bytes
	// Each append stores a checkpoint of the key's log signed by the key.
	cs, err := ledger.NewCheckpointSigner(k.Signer())
	if err != nil {
		panic(err)
	}
	es, err := l.Append(ctx, cs, ledger.Record{Raw: raw, OrderRef: "PO-1187", File: "customer-42.lic", PublicKey: k.Public().Key})
	if err != nil {
		panic(err)
	}
	e := es[0]
	// ... write customer-42.lic, then:
	if err := l.MarkWritten(ctx, e.ID, "customer-42.lic"); err != nil {
		panic(err)
	}

	got, _ := l.ByOrder(ctx, "PO-1187")
	fmt.Println(got.Kind, got.Subject, got.Tier, got.Written, got.Index)

	head, _ := l.TreeHead(ctx, e.KID)
	proof, _ := tlog.ProveRecord(head.N, e.Index, l.HashReader(ctx, e.KID))
	fmt.Println("in the log:", tlog.CheckRecord(proof, head.N, head.Hash, e.Index, tlog.RecordHash(raw)) == nil)

	r, _ := l.Verify(ctx)
	fmt.Println("verifies:", r.OK(), r.Entries)
	// Output:
	// license customer-42 pro true 0
	// in the log: true
	// verifies: true 1
}
