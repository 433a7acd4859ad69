package report_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// TestIngestTwoReports is the partner's story: three licenses, a report,
// two more, a report since the first; the vendor ingests both and its
// ledger then mirrors the partner's log exactly.
func TestIngestTwoReports(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, b.Location(t))
			w.Mint(3, "pro")
			r1 := w.Create(0)
			w.Mint(2, "team")
			r2 := w.Create(3)

			in, err := w.Ingest(r1, report.IngestOptions{Grant: w.GrantID})
			if err != nil {
				t.Fatal(err)
			}
			if in.Start != 0 || in.Size != 3 || len(in.Entries) != 3 || in.Grant.Subject != "globex" || in.KID != kidOf(w.Partner) {
				t.Fatalf("first ingest = %+v", in)
			}
			in, err = w.Ingest(r2, report.IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if in.Start != 3 || in.Size != 5 || len(in.Entries) != 2 || in.Entries[1].Index != 4 || in.Entries[1].Tier != "team" {
				t.Fatalf("second ingest = %+v", in)
			}
			ph, _ := w.PLed.TreeHead(ctx, kidOf(w.Partner))
			if h := w.Head(); h != ph {
				t.Fatalf("the vendor's mirror %v is not the partner's log %v", h, ph)
			}
			es, _ := w.VLed.List(ctx, ledger.Filter{Partner: "globex", Kind: ledger.KindLicense})
			if len(es) != 5 {
				t.Fatalf("the vendor's ledger lists %d licenses of globex", len(es))
			}
			cps, _ := w.VLed.Checkpoints(ctx, kidOf(w.Partner))
			if len(cps) != 2 || cps[1].GrantID != w.GrantID || !strings.HasSuffix(cps[1].Source, "report-2.json") || !strings.Contains(string(cps[1].Note), "\n5\n") {
				t.Fatalf("checkpoints = %+v", cps)
			}
			if rep, err := w.VLed.Verify(ctx); err != nil || !rep.OK() {
				t.Fatalf("Verify = %+v, %v", rep, err)
			}
			// Nothing new since: an empty report is accepted and adds nothing.
			in, err = w.Ingest(w.Create(5), report.IngestOptions{})
			if err != nil || len(in.Entries) != 0 || in.Size != 5 {
				t.Fatalf("an empty report: %+v, %v", in, err)
			}
		})
	}
}

// refused checks that err is a refusal with code and a message holding
// want, and that nothing was ingested.
func refused(t *testing.T, w *world, err error, code report.Code, want string, before int64) {
	t.Helper()
	if report.CodeOf(err) != code {
		t.Fatalf("err = %v (code %q), want code %q", err, report.CodeOf(err), code)
	}
	t.Logf("refused: %v", err)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant it to say %q", err, want)
	}
	if h := w.Head(); h.N != before {
		t.Errorf("the refused report changed the mirror: %d entries, want %d", h.N, before)
	}
	cps, _ := w.VLed.Checkpoints(context.Background(), kidOf(w.Partner))
	for _, cp := range cps {
		if cp.Size > before {
			t.Errorf("the refused report's checkpoint (%d) was stored", cp.Size)
		}
	}
}

// TestIngestRefuses covers every way a report is refused, each with its
// own code and message, nothing ingested.
func TestIngestRefuses(t *testing.T) {
	// setup returns a world where the partner minted 5 licenses, the
	// first report (3) and the second (since 3), nothing ingested.
	setup := func(t *testing.T) (w *world, r1, r2 []byte) {
		w = newWorld(t, "")
		w.Mint(3, "pro")
		r1 = w.Create(0)
		w.Mint(2, "pro")
		return w, r1, w.Create(3)
	}
	ingested := func(t *testing.T, w *world, data []byte) {
		t.Helper()
		if _, err := w.Ingest(data, report.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"MalformedNotJSON", func(t *testing.T) {
			w, _, _ := setup(t)
			_, err := w.Ingest([]byte("licet1.abc"), report.IngestOptions{})
			refused(t, w, err, report.CodeMalformed, "not a licet report file", 0)
		}},
		{"MalformedUnknownMember", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := []byte(strings.Replace(string(r1), `"licet_report": 1,`, `"licet_report": 1, "royalty": 0,`, 1))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeMalformed, `unknown field "royalty"`, 0)
		}},
		{"MalformedVersion", func(t *testing.T) {
			w, r1, _ := setup(t)
			_, err := w.Ingest(edit(t, r1, func(r *report.Report) { r.Version = 2 }), report.IngestOptions{})
			refused(t, w, err, report.CodeMalformed, "licet_report is 2, not 1", 0)
		}},
		{"TamperedCheckpointSize", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := edit(t, r1, func(r *report.Report) {
				r.Checkpoint = strings.Replace(r.Checkpoint, "\n3\n", "\n2\n", 1)
				r.Entries = r.Entries[:2]
			})
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeTampered, "the checkpoint's signature by licet/log/"+kidOf(w.Partner)+" does not verify", 0)
		}},
		{"TamperedEntry", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := edit(t, r1, func(r *report.Report) { r.Entries[1][len(r.Entries[1])-1] ^= 1 })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeTampered, "entry 1: its signature does not verify under the grant's key", 0)
		}},
		{"TamperedProof", func(t *testing.T) {
			w, r1, r2 := setup(t)
			ingested(t, w, r1)
			data := edit(t, r2, func(r *report.Report) {
				if len(r.Proof) == 0 {
					t.Fatal("the second report has no proof")
				}
				r.Proof[0] = tlog.RecordHash([]byte("x")).String()
			})
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeTampered, "the report's consistency proof from 3 to 5 entries does not verify, though its entries make up the signed tree", 3)
		}},
		{"ProofWithNothingToProve", func(t *testing.T) {
			w, r1, r2 := setup(t)
			var r report.Report
			json.Unmarshal(r2, &r)
			data := edit(t, r1, func(x *report.Report) { x.Proof = r.Proof })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeMalformed, "a consistency proof where there is nothing to prove (from 0 to 3 entries)", 0)
		}},
		{"WrongKey", func(t *testing.T) {
			w, _, _ := setup(t)
			// A checkpoint of the right log signed by another key.
			impostor := testKey(t, "impostor")
			data := marshal(t, forge(t, impostor, w.GrantID, kidOf(w.Partner), w.Minted[:3], 0, w.Minted[:3]))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeWrongKey, "the checkpoint is not signed by the grant's key licet/log/"+kidOf(w.Partner), 0)
		}},
		{"ReorderedEntries", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := edit(t, r1, func(r *report.Report) { r.Entries[0], r.Entries[1] = r.Entries[1], r.Entries[0] })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeReordered, "entries were reordered, replaced or dropped after the checkpoint was signed", 0)
		}},
		{"ReorderedAfterFirstReport", func(t *testing.T) {
			w, r1, r2 := setup(t)
			ingested(t, w, r1)
			data := edit(t, r2, func(r *report.Report) { r.Entries[0], r.Entries[1] = r.Entries[1], r.Entries[0] })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeReordered, "were reordered", 3)
		}},
		{"DroppedEntry", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := edit(t, r1, func(r *report.Report) { r.Entries = append(r.Entries[:1], r.Entries[2:]...) })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeDropped, "the checkpoint covers entries 0 to 2 (3), but the report holds 2: entries were dropped or added", 0)
		}},
		{"DroppedAndDuplicated", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := edit(t, r1, func(r *report.Report) { r.Entries[1] = r.Entries[0] })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeReordered, "entry 1 (license "+idOf(t, w.Minted[0])+" for \"customer-1\") repeats entry 0: entries were replaced or duplicated", 0)
		}},
		{"MissingFirstReport", func(t *testing.T) {
			w, _, r2 := setup(t)
			_, err := w.Ingest(r2, report.IngestOptions{})
			refused(t, w, err, report.CodeDropped, "the report starts at entry 3, but 0 entries of this log were ingested: entries 0 to 2 are missing; ask the partner for a report --since 0", 0)
		}},
		{"OutsideGrantTier", func(t *testing.T) {
			w, _, _ := setup(t)
			bad := w.License(w.Partner, "enterprise", 10, w.Grant)
			w.Record(bad)
			if _, err := report.Create(context.Background(), w.PLed, report.CreateOptions{Grant: w.Grant, Signer: w.Partner.Signer(), Now: t0}); report.CodeOf(err) != report.CodeOutsideGrant ||
				!strings.Contains(err.Error(), "nothing was signed") || !strings.Contains(err.Error(), `tier "enterprise" is not in the grant`) {
				t.Fatalf("Create with an entry outside the grant: %v", err)
			}
			data := marshal(t, forge(t, w.Partner, w.GrantID, kidOf(w.Partner), w.Minted, 0, w.Minted))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeOutsideGrant, `entry 5 (license `+idOf(t, bad)+` for "customer-6") is outside grant `+w.GrantID+`: tier "enterprise" is not in the grant ("pro", "team")`, 0)
		}},
		{"OutsideGrantNoGrant", func(t *testing.T) {
			w, _, _ := setup(t)
			w.Record(w.License(w.Partner, "pro", 1, nil))
			data := marshal(t, forge(t, w.Partner, w.GrantID, kidOf(w.Partner), w.Minted, 0, w.Minted))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeOutsideGrant, "carries no grant", 0)
		}},
		{"OutsideGrantAnotherVendor", func(t *testing.T) {
			w, _, _ := setup(t)
			// initech's grant to the same key: not in acme's ledger.
			other := testKey(t, "initech")
			elsewhere := openLedger(t, "")
			w2 := &world{T: t, VLed: elsewhere}
			foreignGrant := w2.SignGrant(other, w.Partner, []string{"pro"})
			w.Record(w.License(w.Partner, "pro", 1, foreignGrant))
			data := marshal(t, forge(t, w.Partner, w.GrantID, kidOf(w.Partner), w.Minted, 0, w.Minted))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeOutsideGrant, "which is not one you issued", 0)
		}},
		{"OutsideGrantRevocationList", func(t *testing.T) {
			w, _, _ := setup(t)
			list := revocations(t, w.Partner)
			w.Record(list)
			data := marshal(t, forge(t, w.Partner, w.GrantID, kidOf(w.Partner), w.Minted, 0, w.Minted))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeOutsideGrant, "entry 5 is a revocation list, not a license", 0)
		}},
		{"OtherGrantExpected", func(t *testing.T) {
			w, r1, _ := setup(t)
			initech := testKey(t, "initech")
			otherGrant := w.SignGrant(w.Vendor, initech, []string{"pro"})
			_, err := w.Ingest(r1, report.IngestOptions{Grant: idOf(t, otherGrant)})
			refused(t, w, err, report.CodeOtherGrant, "the report is for grant "+w.GrantID+` (partner "globex"), not for grant `+idOf(t, otherGrant), 0)
		}},
		{"OtherGrantSpliced", func(t *testing.T) {
			w, r1, _ := setup(t)
			// The report names another partner's grant: its key did not sign.
			initech := testKey(t, "initech")
			otherGrant := idOf(t, w.SignGrant(w.Vendor, initech, []string{"pro"}))
			data := edit(t, r1, func(r *report.Report) { r.GrantID = otherGrant })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeWrongKey, "a report of another grant", 0)
			data = edit(t, r1, func(r *report.Report) { r.GrantID, r.KID = otherGrant, kidOf(initech) })
			_, err = w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeWrongKey, "not signed by the grant's key licet/log/"+kidOf(initech), 0)
		}},
		{"UnknownGrant", func(t *testing.T) {
			w, r1, _ := setup(t)
			data := edit(t, r1, func(r *report.Report) { r.GrantID = strings.Repeat("ab", 16) })
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeUnknownGrant, "grant abababababababababababababababab is not in the ledger", 0)
		}},
		{"ReplayedSameReport", func(t *testing.T) {
			w, r1, _ := setup(t)
			ingested(t, w, r1)
			_, err := w.Ingest(r1, report.IngestOptions{})
			refused(t, w, err, report.CodeReplayed, "the report's checkpoint covers 3 entries and 3 of this log were ingested already", 3)
		}},
		{"ReplayedOldReport", func(t *testing.T) {
			w, r1, r2 := setup(t)
			ingested(t, w, r1)
			ingested(t, w, r2)
			_, err := w.Ingest(r1, report.IngestOptions{})
			refused(t, w, err, report.CodeReplayed, "a replayed or old report", 5)
		}},
		{"Overlapping", func(t *testing.T) {
			w, r1, _ := setup(t)
			ingested(t, w, r1)
			_, err := w.Ingest(w.Create(1), report.IngestOptions{})
			refused(t, w, err, report.CodeReplayed, "the report starts at entry 1 and repeats entries 1 to 2, ingested already; ask the partner for a report --since 3", 3)
		}},
		{"InconsistentRewrittenLog", func(t *testing.T) {
			w, r1, _ := setup(t)
			ingested(t, w, r1)
			// The partner starts its ledger over: five other licenses, and a
			// report since 3 from that log.
			w.PLed, w.Minted = openLedger(t, ""), nil
			w.Mint(5, "pro")
			_, err := w.Ingest(w.Create(3), report.IngestOptions{})
			refused(t, w, err, report.CodeInconsistent, "does not extend the last one ingested, of 3 entries", 3)
			checkEvidence(t, err, 3, 5)
		}},
		{"InconsistentOlderCheckpoint", func(t *testing.T) {
			w, r1, r2 := setup(t)
			ingested(t, w, r1)
			ingested(t, w, r2)
			// A checkpoint of 2 entries that are not the first two ingested.
			alt := [][]byte{w.Minted[1], w.Minted[0]}
			data := marshal(t, forge(t, w.Partner, w.GrantID, kidOf(w.Partner), alt, 0, alt))
			_, err := w.Ingest(data, report.IngestOptions{})
			refused(t, w, err, report.CodeInconsistent, "the partner signed two different histories", 5)
			checkEvidence(t, err, 3, 2)
		}},
		{"NotMirrored", func(t *testing.T) {
			w, r1, _ := setup(t)
			// The vendor's ledger records a license of the partner's key
			// itself (one ledger shared by both).
			if _, err := w.VLed.Append(context.Background(), checkpointSigner(t, w.Partner), ledger.Record{Raw: w.Minted[0]}); err != nil {
				t.Fatal(err)
			}
			_, err := w.Ingest(r1, report.IngestOptions{})
			refused(t, w, err, report.CodeNotMirrored, "did not come from reports", 1)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// checkEvidence checks the evidence file that err names: mode 0600, both
// signed checkpoints.
func checkEvidence(t *testing.T, err error, earlier, later int64) {
	t.Helper()
	var re *report.Error
	if !errors.As(err, &re) || re.Evidence == "" || !strings.Contains(err.Error(), "evidence kept in "+re.Evidence) {
		t.Fatalf("no evidence file in %v", err)
	}
	fi, serr := os.Stat(re.Evidence)
	if serr != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("evidence file: %v, %v", fi, serr)
	}
	data, _ := os.ReadFile(re.Evidence)
	var ev report.Evidence
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Kind != report.EvidenceKind || ev.Earlier.Size != earlier || ev.Later.Size != later || ev.Partner != "globex" ||
		!strings.Contains(ev.Earlier.Note, "\n— licet/log/") || !strings.Contains(ev.Later.Note, "\n— licet/log/") || len(ev.Report) == 0 {
		t.Fatalf("evidence = %+v", ev)
	}
	// Both notes verify with the partner's key alone.
	w := testKey(t, "globex")
	for _, n := range []string{ev.Earlier.Note, ev.Later.Note} {
		if _, err := report.OpenCheckpoint([]byte(n), w.Public().Key); err != nil {
			t.Errorf("an evidence note does not verify: %v", err)
		}
	}
}

// TestIngestIDsPerGrant: partner initech signs a license carrying the id
// of one of globex's licenses and reports it first; globex's report still
// goes in, each license is audited under its own grant, and a true replay
// of either report is still refused.
func TestIngestIDsPerGrant(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			w := newWorld(t, b.Location(t))
			w.Mint(2, "pro")
			globexReport := w.Create(0)

			// initech, with its own grant and ledger, copies the id of
			// globex's first license (seen in the field).
			a := &world{T: t, Vendor: w.Vendor, Partner: testKey(t, "initech"), VLed: w.VLed, PLed: openLedger(t, ""), Dir: w.Dir, Clock: w.Clock}
			a.Grant = a.SignGrant(w.Vendor, a.Partner, []string{"pro"})
			m, _ := token.ParseMessage(w.Minted[0])
			stolen, _ := token.DecodeLicense(m.Payload)
			copied := &token.License{Issuer: "initech", Subject: "initech-customer", Audience: []string{"acme-db"}, Tier: "pro",
				IssuedAt: w.Clock, Expiry: w.Clock.Add(24 * time.Hour), ID: stolen.ID, Limits: map[string]uint64{"seats": 1}}
			raw, err := token.SignLicense(a.Partner.Signer(), copied, a.Grant)
			if err != nil {
				t.Fatal(err)
			}
			a.Record(raw)
			initechReport := a.Create(0)
			if _, err := a.Ingest(initechReport, report.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			in, err := w.Ingest(globexReport, report.IngestOptions{})
			if err != nil {
				t.Fatalf("globex's report after initech took its license id: %v", err)
			}
			if len(in.Entries) != 2 || in.Entries[0].ID != hex.EncodeToString(stolen.ID) {
				t.Fatalf("globex's ingest = %+v", in)
			}
			// Each license is audited under its own grant.
			findings, err := report.Audit(ctx, w.VLed, []report.Seen{{Name: "globex.lic", Raw: w.Minted[0]}, {Name: "initech.lic", Raw: raw}})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range findings {
				if f.Status != report.Reported {
					t.Errorf("audit of %s: %s (%s), want reported", f.Name, f.Status, f.Detail)
				}
			}
			// True replays are still refused.
			_, err = w.Ingest(globexReport, report.IngestOptions{})
			refused(t, w, err, report.CodeReplayed, "a replayed or old report", 2)
			_, err = a.Ingest(initechReport, report.IngestOptions{})
			if report.CodeOf(err) != report.CodeReplayed {
				t.Errorf("initech's report again: %v, want replayed", err)
			}
		})
	}
}
