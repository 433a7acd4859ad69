// Command goverdict runs test cases through the Go verifier, for the
// JavaScript verifier's differential test (js/test/differential.test.mjs).
//
// It reads JSON lines {"name": ..., "vector": ...} from stdin, where vector
// is the text of a vector file in the format of testdata/vectors, and
// writes JSON lines {"name": ..., "outcome": "valid" | CODE, "in_grace":
// bool}: the verdict of package verify, built by internal/vectors as the Go
// vector tests build it. It lives under testdata so that "go build ./..."
// and "go vet ./..." leave it alone: run it as "go run ./js/testdata/goverdict".
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"github.com/licet/licet/internal/vectors"
	"github.com/licet/licet/verify"
)

type input struct {
	Name   string `json:"name"`
	Vector string `json:"vector"`
}

type output struct {
	Name    string `json:"name"`
	Outcome string `json:"outcome"`
	InGrace bool   `json:"in_grace"`
	Error   string `json:"error,omitempty"`
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(nil, 1<<22)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var c input
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			fmt.Fprintln(os.Stderr, "goverdict:", err)
			os.Exit(2)
		}
		if err := out.Encode(judge(c)); err != nil {
			fmt.Fprintln(os.Stderr, "goverdict:", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "goverdict:", err)
		os.Exit(2)
	}
}

func judge(c input) (o output) {
	o.Name = c.Name
	defer func() {
		if r := recover(); r != nil {
			o.Outcome, o.Error = "panic", fmt.Sprint(r)
		}
	}()
	v, err := vectors.Parse(c.Name, []byte(c.Vector))
	if err != nil {
		o.Outcome, o.Error = "setup", err.Error()
		return o
	}
	ver, err := v.Verifier()
	if err != nil {
		o.Outcome, o.Error = "setup", err.Error()
		return o
	}
	lic, err := ver.Verify(v.Token, v.Scopes...)
	if err != nil {
		o.Outcome, o.Error = string(verify.CodeOf(err)), err.Error()
		return o
	}
	o.Outcome, o.InGrace = "valid", lic.InGrace
	return o
}
