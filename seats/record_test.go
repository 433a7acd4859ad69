package seats

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// jsonRecord is the record's encoding by encoding/json, the reference of
// the hand-written encoder (and what Record.Encode was before it).
func jsonRecord(t testing.TB, r *Record) []byte {
	t.Helper()
	w := recordWire{Seq: r.Seq, At: r.At.UTC().Format(AtLayout), Event: r.Event, Lease: r.Lease,
		Product: r.Product, Fingerprint: r.Fingerprint, Client: r.Client, Token: r.Token, Reason: r.Reason, InUse: r.InUse}
	if !r.Expires.IsZero() {
		w.Expires = r.Expires.UTC().Format(time.RFC3339)
	}
	b, err := json.Marshal(&w)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRecordEncodeMatchesJSON: the hand-written record encoder writes
// byte for byte what encoding/json makes of the record, for random
// records: every text member empty or not, text with every ASCII
// character (quotes, backslashes, control characters, <, >, &, DEL),
// multi-byte UTF-8, U+2028 and U+2029, invalid UTF-8, times in other
// zones, before the epoch, with nanoseconds, zero, negative seq and
// in_use; and decodeRecord reads each back (in valid UTF-8, years 0 to
// 9999).
func TestRecordEncodeMatchesJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 9))
	pieces := []string{"a", "Z09", "\"", "\\", "<", ">", "&", "\x00", "\x1f", "\b", "\f", "\n", "\r", "\t", "\x7f", " ",
		"é", "日本", "\u2028", "\u2029", "\xff", "\xe6\x97", "😀", "\ufffd", "licet1.AbC-_9", "/", "'"}
	text := func() string {
		if rng.IntN(4) == 0 {
			return ""
		}
		var sb strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if rng.IntN(8) == 0 {
			sb.WriteString(strings.Repeat("x", rng.IntN(3000)))
		}
		return sb.String()
	}
	zones := []*time.Location{time.UTC, time.FixedZone("east", 5*3600+1800), time.FixedZone("west", -7*3600)}
	when := func() time.Time {
		switch rng.IntN(5) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(-rng.Int64N(1<<35), rng.Int64N(1e9)).In(zones[rng.IntN(3)])
		}
		return time.Unix(rng.Int64N(1<<34), rng.Int64N(1e9)).In(zones[rng.IntN(3)])
	}
	evs := make([]string, 0, len(events))
	for e := range events {
		evs = append(evs, e)
	}
	for i := 0; i < 5000; i++ {
		r := &Record{Seq: rng.Int64N(1<<40) - 1<<20, At: when(), Event: evs[rng.IntN(len(evs))], Lease: text(),
			Product: text(), Fingerprint: text(), Client: text(), Expires: when(), Token: text(), Reason: text(),
			InUse: rng.IntN(1<<20) - 10}
		if i%3 == 0 {
			r.At = r.At.Truncate(time.Millisecond) // as the server writes it
		}
		want := jsonRecord(t, r)
		got, err := r.Encode()
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("record %d (%v):\n got %s\nwant %s", i, err, got, want)
		}
		if !bytes.Equal(r.Raw, want) {
			t.Fatalf("record %d: Raw is not the encoding", i)
		}
		if r.At.Year() < 0 || r.At.Year() > 9999 || r.Expires.Year() < 0 || r.Expires.Year() > 9999 {
			continue // not RFC 3339: decodeRecord refuses it
		}
		if !utf8.ValidString(r.Lease + r.Product + r.Fingerprint + r.Client + r.Token + r.Reason) {
			continue // written as U+FFFD: read back, it is another record
		}
		back, err := decodeRecord(got)
		if err != nil {
			t.Fatalf("record %d: %v\n%s", i, err, got)
		}
		if !bytes.Equal(back.Raw, got) {
			t.Fatalf("record %d: read back differently", i)
		}
	}
}

// BenchmarkRecordEncode: a granted record with its token.
func BenchmarkRecordEncode(b *testing.B) {
	r := &Record{Seq: 123456, At: time.Now(), Event: EventGranted, Lease: strings.Repeat("ab", 16), Product: "widget",
		Fingerprint: strings.Repeat("0f", 16), Client: "build-17", Expires: time.Now().Add(time.Hour),
		Token: "licet1." + strings.Repeat("AbCd-_", 180), InUse: 17}
	b.ReportAllocs()
	for b.Loop() {
		r.Encode()
	}
}

// BenchmarkRecordEncodeJSON: the same record by encoding/json.
func BenchmarkRecordEncodeJSON(b *testing.B) {
	r := &Record{Seq: 123456, At: time.Now(), Event: EventGranted, Lease: strings.Repeat("ab", 16), Product: "widget",
		Fingerprint: strings.Repeat("0f", 16), Client: "build-17", Expires: time.Now().Add(time.Hour),
		Token: "licet1." + strings.Repeat("AbCd-_", 180), InUse: 17}
	b.ReportAllocs()
	for b.Loop() {
		jsonRecord(b, r)
	}
}

// TestCheckpointLineMatchesJSON: the checkpoint lines the writer appends
// are encoding/json's encoding of checkpointLine, batch after batch (the
// writer's buffer reused).
func TestCheckpointLineMatchesJSON(t *testing.T) {
	dir := t.TempDir()
	s, _ := testSigner(t, 1)
	w, err := OpenWriter(dir, nil, s, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var seq int64
	for batch := 1; batch <= 4; batch++ {
		var recs []Record
		for range batch * 3 {
			recs = append(recs, rec(seq, EventGranted))
			seq++
		}
		sc, err := w.Append(recs)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(checkpointLine{Checkpoint: string(sc.Note)})
		data, err := os.ReadFile(filepath.Join(dir, LogFile))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(data, append(want, '\n')) {
			t.Fatalf("batch %d: the log ends\n%q\nnot\n%q", batch, data[max(0, len(data)-len(want)-1):], want)
		}
	}
	l, err := ReadLog(dir)
	if err != nil || l.Len() != seq || len(l.Checkpoints) != 4 || l.Cut != 0 {
		t.Fatalf("read back: %v, %d records, %d checkpoints", err, l.Len(), len(l.Checkpoints))
	}
}

// tlogHashes is a tlog.HashReader over a slice, for the reference.
type tlogHashes []tlog.Hash

func (h tlogHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		out[i] = h[x]
	}
	return out, nil
}

// TestAddHashedMatchesTlog: the log's stored hashes, computed in place,
// are those of tlog.StoredHashesForRecordHash, record after record, and
// its roots tlog's.
func TestAddHashedMatchesTlog(t *testing.T) {
	l := &Log{}
	var want tlogHashes
	for n := int64(0); n < 1100; n++ {
		r := Record{Seq: n, Raw: []byte(fmt.Sprintf("record %d", n))}
		leaf := tlog.RecordHash(r.Raw)
		hs, err := tlog.StoredHashesForRecordHash(n, leaf, want)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, hs...)
		if err := l.addHashed(r, leaf); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(l.hashes, want) {
			t.Fatalf("after record %d: the stored hashes differ", n)
		}
		root, err := l.Root(n + 1)
		wantRoot, _ := tlog.TreeHash(n+1, want)
		if err != nil || root != wantRoot {
			t.Fatalf("root of %d records: %v", n+1, err)
		}
	}
	l.hashes = l.hashes[:len(l.hashes)-1]
	if err := l.addHashed(Record{Seq: 1100}, tlog.Hash{}); err == nil {
		t.Fatal("a record added to a torn tree")
	}
}
