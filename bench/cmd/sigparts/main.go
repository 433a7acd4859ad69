// Command sigparts writes the signature input (COSE Sig_structure) and the
// Ed25519 signature of a licet token, so that another tool (openssl
// pkeyutl -verify -rawin) can verify the same signature: bench/cli.sh
// times `licet verify` against it.
//
// Usage:
//
//	go run ./cmd/sigparts TOKEN-FILE TBS-OUT SIG-OUT
//
// Exit status: 0 on success, 1 when the token cannot be read, 2 on a
// usage error.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/licet/licet/token"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) != 3 {
		fmt.Fprintln(stderr, "usage: sigparts TOKEN-FILE TBS-OUT SIG-OUT")
		return 2
	}
	in, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "sigparts: error: %v\n", err)
		return 1
	}
	m, _, err := token.Decode(in)
	if err != nil {
		fmt.Fprintf(stderr, "sigparts: error: %v\n", err)
		return 1
	}
	for _, out := range []struct {
		name string
		data []byte
	}{{args[1], m.AppendToBeSigned(nil)}, {args[2], m.Signature}} {
		if err := os.WriteFile(out.name, out.data, 0o644); err != nil {
			fmt.Fprintf(stderr, "sigparts: error: %v\n", err)
			return 1
		}
	}
	return 0
}
