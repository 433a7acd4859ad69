package usage

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStore: reports ingested into a store are kept byte for byte, in
// order, mode 0600 in a directory of mode 0700; the next ingest must
// continue them, a refused one adds nothing; Load reads them back.
func TestStore(t *testing.T) {
	w := newWorld(t)
	store := filepath.Join(t.TempDir(), "usage")
	w.activity(2)
	r1 := w.report(nil)
	w.activity(2)
	r2 := w.report(r1)
	if _, _, err := Ingest(store, w.vendorKey(), w.grant, r2, "r2"); CodeOf(err) != CodeDropped {
		t.Fatalf("the second report first: %v", err)
	}
	if _, err := os.Stat(store); err == nil {
		t.Fatal("a refused report made the store")
	}
	for i, r := range [][]byte{r1, r2} {
		if _, a, err := Ingest(store, w.vendorKey(), w.grant, r, "r"); err != nil || a.Start != int64(5*i) {
			t.Fatalf("report %d: %v", i+1, err)
		}
	}
	if _, _, err := Ingest(store, w.vendorKey(), w.grant, r1, "r1 again"); CodeOf(err) != CodeReplayed {
		t.Fatalf("replayed: %v", err)
	}
	if _, a, err := Ingest(store, w.vendorKey(), w.grant, w.report(r2), "nothing new"); err != nil || len(a.Events) != 0 {
		t.Fatalf("a report of nothing new: %v", err)
	}
	gdir := filepath.Join(store, w.grantID)
	if fi, err := os.Stat(gdir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the grant's directory: %v %v", fi.Mode(), err)
	}
	for i, want := range [][]byte{r1, r2} {
		name := filepath.Join(gdir, []string{"000001.report", "000002.report"}[i])
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not the report as ingested (%v)", name, err)
		}
		if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v", name, fi.Mode())
		}
	}
	if _, err := os.Stat(filepath.Join(gdir, "000003.report")); err == nil {
		t.Error("a refused report was stored")
	}
	h, err := Load(store, w.grantID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Size() != 10 || len(h.Events) != 10 || len(h.Reports) != 2 {
		t.Errorf("loaded %d records, %d events, %d reports", h.Size(), len(h.Events), len(h.Reports))
	}
	if ids, err := Grants(store); err != nil || len(ids) != 1 || ids[0] != w.grantID {
		t.Errorf("grants %v, %v", ids, err)
	}
	// A stored report changed: the store no longer loads.
	name := filepath.Join(gdir, "000002.report")
	os.WriteFile(name, edit(t, r2, func(r *Report) { r.Records = r.Records[1:]; r.Start++ }), 0o600)
	if _, err := Load(store, w.grantID); err == nil || !strings.Contains(err.Error(), "the store was modified") {
		t.Errorf("a modified store: %v", err)
	}
	if _, err := Load(store, strings.Repeat("0", 32)); err == nil || !strings.Contains(err.Error(), "holds no report of grant") {
		t.Errorf("an unknown grant: %v", err)
	}
}
