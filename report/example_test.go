package report_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
	"golang.org/x/mod/sumdb/tlog"
)

// A checkpoint signed as a C2SP signed note, and checked with the public
// key alone.
func ExampleSignCheckpoint() {
	seed := sha256.Sum256([]byte("example partner key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)

	leaf := tlog.RecordHash([]byte("the raw bytes of the first license"))
	c := &report.Checkpoint{Origin: "licet/log/" + hex.EncodeToString(token.KeyID(pub)), Size: 1, Root: leaf}
	note, err := report.SignCheckpoint(c, key)
	if err != nil {
		panic(err)
	}
	fmt.Print(string(note))

	got, err := report.OpenCheckpoint(note, pub)
	fmt.Println(got.Size, got.Root == leaf, err)

	other := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	_, err = report.OpenCheckpoint(note, other)
	fmt.Println(report.CodeOf(err))
	// Output:
	// licet/log/c7d3cbea6971c580
	// 1
	// thiYT2B1IRcERLMx143x1283Pr0jdaQB23axUiCNHIk=
	//
	// — licet/log/c7d3cbea6971c580 1zQm4PW2GwzaN2FIOj19/WL+ohgJNgcXjcQYaaExf8taeyME7eEYB3+CksoEfF+i0eoHuN54mGlcAh06UpMXNuuy0QI=
	// 1 true <nil>
	// wrong_key
}
