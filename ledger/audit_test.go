package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
	"golang.org/x/mod/sumdb/note"
)

// auditRows returns the rows of the ledger's audit table at location,
// each as "actor action entry order detail", sorted.
func auditRows(t *testing.T, location string) []string {
	t.Helper()
	ctx := context.Background()
	db, err := sqldb.OpenSideDB(ctx, location, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.DB.QueryContext(ctx, "SELECT token_id, action, entry_id, order_ref, detail FROM serve_audit")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var f [5]string
		if err := rows.Scan(&f[0], &f[1], &f[2], &f[3], &f[4]); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.TrimSpace(strings.Join(f[:], " ")))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// failingSigner signs no checkpoint: an append with it fails at its
// last step, after its entries, events and audit rows are written in
// the transaction.
type failingSigner struct{ note.Signer }

func (failingSigner) Sign([]byte) ([]byte, error) {
	return nil, errors.New("test: the signer is unplugged")
}

// TestAudit: the Audit of each record is stored in the append's
// transaction: one row per event it announces (a revocation list: per
// license it revokes, naming the list), or one row of its Action; a
// record without Audit has none; and an append that fails after writing
// them (its checkpoint cannot be signed) leaves no entry, no event and
// no audit row.
func TestAudit(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			location := b.open(t)
			l := openLedger(t, location)
			k := testKey(t, "acme")
			lic := mintLicense(t, k, licenseSpec{sub: "c1", tier: "pro", days: 30}, nil)
			act := mintLicense(t, k, licenseSpec{sub: "c2", tier: "pro", days: 30}, nil)
			quiet := mintLicense(t, k, licenseSpec{sub: "c3", tier: "pro", days: 30}, nil)
			es := mustAppend(t, l, k,
				ledger.Record{Raw: lic, OrderRef: "PO-1", Events: []outbox.Event{{Type: outbox.EventLicenseIssued}},
					Audit: &ledger.Audit{Actor: "tok1", Detail: "via the API"}},
				ledger.Record{Raw: act, OrderRef: "PO-2", Events: []outbox.Event{{Type: outbox.EventLicenseIssued}},
					Audit: &ledger.Audit{Actor: "tok2", Action: "license.activated"}},
				ledger.Record{Raw: quiet})
			list := mintRevocations(t, k, 1, hexBytes(t, es[0].ID))
			ls := mustAppend(t, l, k, ledger.Record{Raw: list, Audit: &ledger.Audit{Actor: "stripe", Detail: "stripe event evt_5"},
				Events: []outbox.Event{{Type: outbox.EventLicenseRevoked, Subject: es[0].ID, Data: []byte(`{"id":"` + es[0].ID + `","order":"PO-1"}`)}}})
			want := []string{
				"tok1 license.issued " + es[0].ID + " PO-1 via the API",
				"tok2 license.activated " + es[1].ID + " PO-2",
				"stripe license.revoked " + es[0].ID + " PO-1 stripe event evt_5 list " + ls[0].ID,
			}
			slices.Sort(want)
			if got := auditRows(t, location); !slices.Equal(got, want) {
				t.Fatalf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			// A failing append: nothing of it remains.
			events, _ := l.Outbox().Events(ctx, outbox.EventFilter{})
			failed := mintLicense(t, k, licenseSpec{sub: "c4", tier: "pro", days: 30}, nil)
			_, err := l.Append(ctx, failingSigner{signerOf(t, k)}, ledger.Record{Raw: failed, OrderRef: "PO-4",
				Events: []outbox.Event{{Type: outbox.EventLicenseIssued}}, Audit: &ledger.Audit{Actor: "tok1"}})
			if err == nil || !strings.Contains(err.Error(), "unplugged") {
				t.Fatalf("append with a failing signer: %v", err)
			}
			if _, err := l.ByOrder(ctx, "PO-4"); !errors.Is(err, ledger.ErrNotFound) {
				t.Errorf("the failed append's entry: %v", err)
			}
			if after, _ := l.Outbox().Events(ctx, outbox.EventFilter{}); len(after) != len(events) {
				t.Errorf("%d events after the failed append, %d before", len(after), len(events))
			}
			if got := auditRows(t, location); !slices.Equal(got, want) {
				t.Errorf("audit rows after the failed append:\n%s", strings.Join(got, "\n"))
			}

			// The context's Audit is the issuing path's to carry (package
			// issue): Append itself stores only Record.Audit.
			if _, err := l.Append(ledger.WithAudit(ctx, &ledger.Audit{Actor: "ctx"}), signerOf(t, k), ledger.Record{Raw: failed}); err != nil {
				t.Fatal(err)
			}
			if got := auditRows(t, location); len(got) != len(want) {
				t.Errorf("an append without Record.Audit wrote audit rows:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

// TestAuditOfManyRecords: an append of more records than one INSERT of
// audit rows takes stores every record's row, each with its own actor.
func TestAuditOfManyRecords(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			location := b.open(t)
			l := openLedger(t, location)
			k := testKey(t, "acme")
			const n = 401 // one more than a statement takes
			recs := make([]ledger.Record, n)
			for i := range recs {
				recs[i] = ledger.Record{Raw: mintLicense(t, k, licenseSpec{sub: fmt.Sprintf("c%d", i), tier: "pro", days: 30}, nil),
					Audit: &ledger.Audit{Actor: fmt.Sprintf("tok%d", i)}}
			}
			es := mustAppend(t, l, k, recs...)
			got := auditRows(t, location)
			if len(got) != n {
				t.Fatalf("%d audit rows, want %d", len(got), n)
			}
			for i, e := range es {
				want := fmt.Sprintf("tok%d license.recorded %s", i, e.ID)
				if !slices.Contains(got, want) {
					t.Fatalf("no audit row %q", want)
				}
			}
		})
	}
}
