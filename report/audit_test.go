package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
)

func TestAudit(t *testing.T) {
	ctx := context.Background()
	w := statementWorld(t) // 5 licenses reported, the 6th not
	own := w.License(w.Vendor, "pro", 5, nil)
	if _, err := w.VLed.Append(ctx, checkpointSigner(t, w.Vendor), ledger.Record{Raw: own}); err != nil {
		t.Fatal(err)
	}
	// The partner re-signs a reported license's id with more seats.
	m, _ := token.ParseMessage(w.Minted[0])
	lic, _ := token.DecodeLicense(m.Payload)
	lic.Limits["seats"] = 99
	twin, err := token.SignLicense(w.Partner.Signer(), lic, w.Grant)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else signs under globex's grant.
	forged := w.License(testKey(t, "globex"+"-thief"), "pro", 1, w.Grant)
	// Another vendor's grant to another partner.
	elsewhere := &world{T: t, VLed: openLedger(t, "")}
	initech, umbrella := testKey(t, "initech"), testKey(t, "umbrella")
	foreign := w.License(umbrella, "pro", 1, elsewhere.SignGrant(initech, umbrella, []string{"pro"}))
	// A license the partner signed in October but kept out of its log.
	now := w.Clock
	w.Clock = time.Date(2026, 10, 19, 9, 0, 0, 0, time.UTC)
	unreported := w.License(w.Partner, "pro", 10, w.Grant)
	w.Clock = now
	// The partner's next license, after the last report was ingested.
	later := w.Minted[5]

	findings, err := report.Audit(ctx, w.VLed, []report.Seen{
		{Name: "a.lic", Raw: w.Minted[0]},
		{Name: "b.lic", Raw: w.Minted[4]},
		{Name: "own.lic", Raw: own},
		{Name: "unreported.lic", Raw: unreported},
		{Name: "later.lic", Raw: later},
		{Name: "twin.lic", Raw: twin},
		{Name: "forged.lic", Raw: forged},
		{Name: "foreign.lic", Raw: foreign},
		{Name: "junk", Raw: []byte("junk")},
		{Name: "list.pem", Raw: revocations(t, w.Vendor)},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		status report.Status
		detail string
	}{
		{report.Reported, "entry 0 of the log of globex's key " + kidOf(w.Partner)},
		{report.Reported, "entry 4 of the log"},
		{report.Issued, "issued by acme, entry"},
		{report.Missing, "issued 2026-10-20, before the last report was ingested (2026-11-11, 5 entries, "},
		{report.Missing, "after the last report was ingested (2026-11-11, 5 entries): the next report should hold it"},
		{report.Differs, `a report holds a license with this id but other terms (tier "pro", licensee "customer-1", issued 2026-10-06): this one was not reported`},
		{report.Invalid, "its signature does not verify under the grant's key"},
		{report.Foreign, `which is not in the ledger`},
		{report.Invalid, "not a signed licet object"},
		{report.Invalid, "a revocation list, not a license"},
	}
	for i, f := range findings {
		t.Logf("%s: %s: %s", f.Name, f.Status, f.Detail)
		if f.Status != want[i].status || !strings.Contains(f.Detail, want[i].detail) {
			t.Errorf("%s: %s: %s\nwant %s: ...%s...", f.Name, f.Status, f.Detail, want[i].status, want[i].detail)
		}
	}
	if f := findings[3]; f.Partner != "globex" || f.GrantID != w.GrantID || f.Subject != "customer-11" || !f.Status.Unreported() {
		t.Errorf("the missing license: %+v", f)
	}
	if findings[0].Status.Unreported() || findings[7].Status.Unreported() {
		t.Error("reported or foreign licenses count as unreported")
	}
	// A license the vendor signed with a rotated key under its self-grant,
	// recorded in its own ledger: issued, not reported.
	rotated := testKey(t, "acme-2027")
	rotated.Issuer = "acme"
	self := w.SignGrant(w.Vendor, rotated, []string{"*"})
	selfLic := w.License(rotated, "pro", 1, self)
	if _, err := w.VLed.Append(ctx, checkpointSigner(t, rotated), ledger.Record{Raw: selfLic}); err != nil {
		t.Fatal(err)
	}
	findings, _ = report.Audit(ctx, w.VLed, []report.Seen{{Name: "self.lic", Raw: selfLic}})
	if f := findings[0]; f.Status != report.Issued || !strings.Contains(f.Detail, "issued by acme under grant "+idOf(t, self)) {
		t.Errorf("a license under a self-grant: %s: %s", f.Status, f.Detail)
	}
	// A partner that never reported.
	fresh := newWorld(t, "")
	fresh.Mint(1, "pro")
	findings, _ = report.Audit(ctx, fresh.VLed, []report.Seen{{Name: "x", Raw: fresh.Minted[0]}})
	if findings[0].Status != report.Missing || !strings.Contains(findings[0].Detail, "globex has reported nothing of key") {
		t.Errorf("never reported: %+v", findings[0])
	}
}
