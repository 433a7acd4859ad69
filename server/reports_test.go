package server

import (
	"context"
	"crypto"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
)

// partnerReport grants globex through the API, has globex mint n
// licenses under the grant into its own ledger and returns the grant's
// id and globex's report of them.
func partnerReport(t *testing.T, e *env, n int) (string, []byte) {
	t.Helper()
	pk, err := keys.Generate(nil, "globex")
	if err != nil {
		t.Fatal(err)
	}
	status, data, _ := e.do("POST", "/v1/grants", "admin", map[string]any{"partner": "globex", "key": string(pk.Public().MarshalPEM()),
		"aud": []string{"acme-db"}, "tiers": []string{"*"}, "days": 365})
	if status != 201 {
		t.Fatalf("grant: %d %s", status, data)
	}
	var g LicenseView
	e.decode(data, &g)
	grantRaw, _ := base64.StdEncoding.DecodeString(g.Token.Raw)
	pled, err := ledger.Open(context.Background(), filepath.Join(t.TempDir(), "globex.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer pled.Close()
	is := &issue.Issuer{Name: "globex", PublicKey: pk.Public().Key, Ledger: pled,
		Unlock: func() (crypto.Signer, error) { return pk.Signer(), nil }, Write: func(string, []byte, bool) error { return nil }}
	for i := 0; i < n; i++ {
		if _, err := is.License(context.Background(), &issue.LicenseRequest{
			License: &token.License{Subject: "globex-customer", Audience: []string{"acme-db"}, Tier: "pro", Expiry: time.Now().Add(24 * time.Hour)},
			Grant:   grantRaw, Out: out}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := report.Create(context.Background(), pled, report.CreateOptions{Grant: grantRaw, Signer: pk.Signer(), Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	data, err = rep.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return g.ID, data
}

// TestReports: a partner uploads its royalty report with its token and
// gets the ingest verdict; its licenses are then in the vendor's ledger.
// A tampered, malformed or replayed report, one for another grant and
// the wrong role are refused with a problem, and nothing is stored.
func TestReports(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t), Config{EvidenceDir: t.TempDir()})
			grantID, rep := partnerReport(t, e, 2)
			_, partner, err := e.store.Create(context.Background(), "globex", Role("partner:"+grantID))
			if err != nil {
				t.Fatal(err)
			}
			_, stranger, err := e.store.Create(context.Background(), "initech", Role("partner:"+strings.Repeat("ab", 16)))
			if err != nil {
				t.Fatal(err)
			}
			n := e.entries()
			r, err := report.Parse(rep)
			if err != nil {
				t.Fatal(err)
			}
			last := r.Entries[1]
			last[len(last)-3] ^= 1 // in the entry's signature
			tampered, err := r.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				tok, body string
				status    int
				code      string
			}{
				{partner, `{`, 422, "report_malformed"},
				{partner, `{"version":1}`, 422, "report_malformed"},
				{stranger, string(rep), 422, "report_other_grant"},
				{"read", string(rep), 403, httpserve.CodeForbidden},
				{"mint", string(rep), 403, httpserve.CodeForbidden},
				{"", string(rep), 401, httpserve.CodeUnauthenticated},
				{partner, string(tampered), 422, "report_tampered"},
			} {
				status, data, h := e.do("POST", "/v1/reports", c.tok, c.body)
				e.problem(status, data, h, c.status, c.code)
			}
			status, data, h := e.do("POST", "/v1/reports", partner, `{"entries":["`+strings.Repeat("A", 70<<10)+`"]}`)
			e.problem(status, data, h, 413, httpserve.CodeBodyTooLarge)
			status, data, h = e.do("POST", "/v1/reports", partner, string(rep), "Content-Type", "text/plain")
			e.problem(status, data, h, 415, httpserve.CodeUnsupportedType)
			if e.entries() != n {
				t.Fatalf("refused reports stored %d entries", e.entries()-n)
			}
			status, data, _ = e.do("POST", "/v1/reports", partner, string(rep))
			var v ingestResponse
			e.decode(data, &v)
			if status != 201 || !v.Ingested || v.Grant != grantID || v.Partner != "globex" || len(v.Licenses) != 2 || v.Size != 2 {
				t.Fatalf("ingest: %d %s", status, data)
			}
			if e.entries() != n+2 {
				t.Errorf("the ledger holds %d new entries, want 2", e.entries()-n)
			}
			status, data, _ = e.do("GET", "/v1/licenses", partner, nil)
			var page listPage
			e.decode(data, &page)
			if status != 200 || len(page.Licenses) != 2 {
				t.Errorf("the partner's licenses after the report: %d %s", status, data)
			}
			if log, _ := e.store.AuditLog(context.Background(), ""); countAction(log, "report.ingested") != 1 {
				t.Errorf("audit: %d reports recorded", countAction(log, "report.ingested"))
			}
			status, data, h = e.do("POST", "/v1/reports", partner, string(rep))
			e.problem(status, data, h, 422, "report_replayed")
			if e.entries() != n+2 {
				t.Errorf("the replayed report stored entries")
			}
		})
	}
}
