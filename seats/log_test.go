package seats

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"golang.org/x/mod/sumdb/tlog"
)

const testOrigin = "licet/seats/00112233445566778899aabbccddeeff"

func testSigner(t testing.TB, seed byte) (*checkpoint.Signer, ed25519.PublicKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	s, err := checkpoint.NewSigner(testOrigin, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, priv.Public().(ed25519.PublicKey)
}

var t0 = time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)

func rec(seq int64, event string) Record {
	return Record{Seq: seq, At: t0.Add(time.Duration(seq) * time.Millisecond), Event: event,
		Lease: fmt.Sprintf("%032x", seq), Product: "widget", Fingerprint: "ab12", Client: "host \"x\"\n",
		Expires: t0.Add(time.Hour), Token: "licet1:x", InUse: int(seq)}
}

// writeLog writes batches of records (sizes) to a new log in a temporary
// directory and returns the directory.
func writeLog(t *testing.T, sizes ...int) string {
	t.Helper()
	dir := t.TempDir()
	s, _ := testSigner(t, 1)
	w, err := OpenWriter(dir, nil, s, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	seq := int64(0)
	for _, n := range sizes {
		var recs []Record
		for range n {
			recs = append(recs, rec(seq, EventGranted))
			seq++
		}
		sc, err := w.Append(recs)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteHead(dir, sc.Note); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLogRoundTrip(t *testing.T) {
	dir := writeLog(t, 3, 1, 5)
	l, err := ReadLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() != 9 || len(l.Checkpoints) != 3 || l.Cut != 0 || l.Origin != testOrigin {
		t.Fatalf("read %d records, %d checkpoints, cut %d, origin %q", l.Len(), len(l.Checkpoints), l.Cut, l.Origin)
	}
	for i, r := range l.Records {
		want := rec(int64(i), EventGranted)
		if r.Seq != want.Seq || !r.At.Equal(want.At) || r.Client != want.Client || !r.Expires.Equal(want.Expires) || r.InUse != want.InUse {
			t.Errorf("record %d read back as %+v", i, r)
		}
		if !bytes.HasPrefix(r.Raw, []byte(fmt.Sprintf(`{"seq":%d,"at":"2026-12-08T04:00:00.%03dZ","event":"granted"`, i, i))) {
			t.Errorf("record %d bytes %s", i, r.Raw)
		}
	}
	_, pub := testSigner(t, 1)
	if err := l.Verify(pub); err != nil {
		t.Fatal(err)
	}
	_, other := testSigner(t, 2)
	if err := l.Verify(other); err == nil || !strings.Contains(err.Error(), "not signed by") {
		t.Fatalf("another key: %v", err)
	}
	head, err := ReadHead(dir, testOrigin, pub)
	if err != nil || head.Size != 9 || head.Root != l.Head().Checkpoint.Root {
		t.Fatalf("head %+v, %v", head, err)
	}
	if _, err := ReadHead(dir, testOrigin, other); err == nil {
		t.Fatal("a head read with another key")
	}
	// Proofs between checkpoints and of a record.
	old := l.Checkpoints[0].Checkpoint
	p, err := l.ConsistencyProof(old.Size, l.Len())
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckTree(p, l.Len(), l.Head().Checkpoint.Root, old.Size, old.Root); err != nil {
		t.Fatal(err)
	}
	rp, err := l.InclusionProof(4, l.Len())
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(rp, l.Len(), l.Head().Checkpoint.Root, 4, tlog.RecordHash(l.Records[4].Raw)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, LogFile))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != l.Size {
		t.Fatalf("log file %v %v, size %d", fi.Mode(), err, l.Size)
	}
	fi, err = os.Stat(filepath.Join(dir, HeadFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("head file %v %v", fi, err)
	}
}

// TestLogTornTail: what a crash leaves at the end of the log (a torn last
// line, records whose checkpoint was never written) is cut off and
// reported; reopening for append truncates it and the log goes on.
func TestLogTornTail(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cut    func(data []byte, lastBatch int) []byte
		reason string
	}{
		{"torn checkpoint", func(d []byte, last int) []byte { return d[:len(d)-20] }, "torn"},
		{"torn record", func(d []byte, last int) []byte { return d[:last+30] }, "torn"},
		{"no checkpoint", func(d []byte, last int) []byte {
			i := bytes.LastIndex(d[:len(d)-1], []byte("\n"))
			return d[:i+1]
		}, "2 records after the last checkpoint"},
		{"records then torn", func(d []byte, last int) []byte {
			i := bytes.LastIndex(d[:len(d)-1], []byte("\n"))
			return d[:i+5]
		}, "2 records after the last checkpoint, then line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeLog(t, 3)
			l0, _ := ReadLog(dir)
			size0 := l0.Size
			s, _ := testSigner(t, 1)
			w, err := OpenWriter(dir, l0, s, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Append([]Record{rec(3, EventGranted), rec(4, EventReleased)}); err != nil {
				t.Fatal(err)
			}
			w.Close()
			path := filepath.Join(dir, LogFile)
			data, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.cut(data, int(size0)), 0o600); err != nil {
				t.Fatal(err)
			}
			l, err := ReadLog(dir)
			if err != nil {
				t.Fatal(err)
			}
			if l.Len() != 3 || l.Size != size0 || l.Cut == 0 || !strings.Contains(l.CutReason, tc.reason) {
				t.Fatalf("read %d records, size %d (want %d), cut %d %q", l.Len(), l.Size, size0, l.Cut, l.CutReason)
			}
			w, err = OpenWriter(dir, l, s, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Append([]Record{rec(3, EventExpired)}); err != nil {
				t.Fatal(err)
			}
			w.Close()
			l, err = ReadLog(dir)
			if err != nil || l.Len() != 4 || l.Cut != 0 || l.Records[3].Event != EventExpired {
				t.Fatalf("after reopening: %v, %d records, cut %d", err, l.Len(), l.Cut)
			}
		})
	}
}

// TestLogCorrupt: a changed byte anywhere but a torn tail is an error.
func TestLogCorrupt(t *testing.T) {
	dir := writeLog(t, 3, 2)
	path := filepath.Join(dir, LogFile)
	data, _ := os.ReadFile(path)
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"flipped byte in a record", `"in_use":1}`, `"in_use":7}`, "do not hash to its root"},
		{"flipped byte in a client", `"client":"host`, `"client":"hosu`, "do not hash to its root"},
		{"record removed", "", "", "record 2 where record 1 is expected"},
		{"not canonical", `"seq":1,"at"`, `"seq":1, "at"`, "canonical"},
		{"unknown member", `"seq":1,`, `"seq":1,"x":1,`, "unknown field"},
		{"checkpoint changed", `"checkpoint":"licet/seats/00112233445566778899aabbccddeeff\n3\n`, `"checkpoint":"licet/seats/00112233445566778899aabbccddeeff\n2\n`, "checkpoint of 2 records after 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bad []byte
			if tc.old == "" {
				lines := bytes.SplitAfter(data, []byte("\n"))
				bad = bytes.Join(append(lines[:1:1], lines[2:]...), nil)
			} else {
				bad = bytes.Replace(data, []byte(strings.ReplaceAll(tc.old, "\n", `\n`)), []byte(strings.ReplaceAll(tc.new, "\n", `\n`)), 1)
				if bytes.Equal(bad, data) {
					t.Fatalf("%q not in the log", tc.old)
				}
			}
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := ReadLog(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	// Every single flipped bit before the last line is caught: by ReadLog,
	// or, in a signature, by Verify.
	_, pub := testSigner(t, 1)
	last := bytes.LastIndex(data[:len(data)-1], []byte("\n"))
	for i := 0; i < last; i += 3 {
		bad := bytes.Clone(data)
		bad[i] ^= 0x01
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := ReadLog(dir)
		if err == nil {
			err = l.Verify(pub)
		}
		if err == nil {
			t.Fatalf("byte %d (%q) flipped: read %d records, cut %q", i, data[i], l.Len(), l.CutReason)
		}
	}
}

// TestCommitter: records handed in out of order by many goroutines are
// written in sequence, in batches, each caller answered once its record
// is on disk.
func TestCommitter(t *testing.T) {
	dir := t.TempDir()
	s, pub := testSigner(t, 1)
	w, err := OpenWriter(dir, nil, s, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCommitter(w)
	var batches, total int
	c.OnBatch = func(n int) { batches++; total += n }
	var wg sync.WaitGroup
	var mu sync.Mutex
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				mu.Lock()
				seq := c.Reserve()
				mu.Unlock()
				if g%4 == 0 {
					time.Sleep(time.Duration(seq%3) * time.Millisecond)
				}
				if err := c.Commit(rec(seq, EventRenewed)); err != nil {
					t.Error(err)
					return
				}
				// Answered after the fsync: the record is in the file.
				data, _ := os.ReadFile(filepath.Join(dir, LogFile))
				if !bytes.Contains(data, []byte(fmt.Sprintf(`{"seq":%d,`, seq))) {
					t.Errorf("record %d answered before it was written", seq)
				}
			}
		}()
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLog(dir)
	if err != nil || l.Len() != 640 || l.Cut != 0 {
		t.Fatalf("%v: %d records, cut %d", err, l.Len(), l.Cut)
	}
	if err := l.Verify(pub); err != nil {
		t.Fatal(err)
	}
	if total != 640 || batches >= 640 || len(l.Checkpoints) != batches {
		t.Fatalf("%d records in %d batches, %d checkpoints", total, batches, len(l.Checkpoints))
	}
	head, err := ReadHead(dir, testOrigin, pub)
	if err != nil || head.Size != 640 {
		t.Fatalf("head %v %v", head, err)
	}
	t.Logf("640 records in %d batches", batches)
}

func TestWriterLocked(t *testing.T) {
	dir := writeLog(t, 1)
	l, _ := ReadLog(dir)
	s, _ := testSigner(t, 1)
	w, err := OpenWriter(dir, l, s, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := OpenWriter(dir, l, s, testOrigin); err == nil || !strings.Contains(err.Error(), "in use by another server") {
		t.Fatalf("second writer: %v", err)
	}
}
