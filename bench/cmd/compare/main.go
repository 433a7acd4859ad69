// Command compare prints the cost of licet licenses and of peer token
// formats (go-cose, golang-jwt, go-jose, PASETO v4.public) on the same
// claims, as ratios to raw Ed25519 measured in one interleaved run.
//
// Usage:
//
//	go run ./cmd/compare [-n iterations] [-json]
//
// Exit status: 0 when every scheme was measured, 1 when one failed, 2 on a
// usage error.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/licet/licet/bench"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 2000, "iterations per scheme (each one signs and verifies once, plus the raw Ed25519 baseline)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: compare [-n iterations] [-json]\n\nexamples:\n  go run ./cmd/compare\n  go run ./cmd/compare -n 500 -json")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || *n < 1 {
		fmt.Fprintln(stderr, "compare: error: want no arguments and -n of at least 1")
		return 2
	}
	results, err := measureAll(*n)
	if err != nil {
		fmt.Fprintf(stderr, "compare: error: %v\n", err)
		return 1
	}
	targets, err := bench.NewFixture().Targets(*n)
	if err != nil {
		fmt.Fprintf(stderr, "compare: error: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report{Schemes: results, Targets: targets}); err != nil {
			return 1
		}
		return 0
	}
	printTable(stdout, results, *n)
	fmt.Fprintln(stdout)
	printTargets(stdout, targets, *n)
	return 0
}

func measureAll(n int) ([]bench.Result, error) {
	f := bench.NewFixture()
	schemes, err := f.Schemes()
	if err != nil {
		return nil, err
	}
	base, err := f.NewBaseline()
	if err != nil {
		return nil, err
	}
	out := make([]bench.Result, 0, len(schemes))
	for _, s := range schemes {
		r, err := bench.Measure(s, base, n)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// report is the JSON output: the peer comparison and licet's targets.
type report struct {
	Schemes []bench.Result `json:"schemes"`
	Targets []bench.Target `json:"targets"`
}

func printTargets(w io.Writer, targets []bench.Target, n int) {
	fmt.Fprintf(w, "licet's targets (issue 20), %d iterations each: median of per-iteration ratios [25th, 75th percentile].\n", n)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tx-ed25519\tspread\tmax\tmet\t")
	for _, t := range targets {
		met := "yes"
		if !t.Met {
			met = "NO"
		}
		fmt.Fprintf(tw, "%s\t%.2f\t[%.2f, %.2f]\t%.2f\t%s\t\n", t.Name, t.Ratio, t.Spread[0], t.Spread[1], t.Max, met)
	}
	tw.Flush()
}

func printTable(w io.Writer, results []bench.Result, n int) {
	fmt.Fprintf(w, "Same claims, one Ed25519 key, %d interleaved iterations per scheme.\n", n)
	fmt.Fprintln(w, "Ratios are medians of per-iteration ratios to raw ed25519.Sign / ed25519.Verify")
	fmt.Fprintln(w, "timed alternately in the same iterations, [25th, 75th percentile].")
	fmt.Fprintln(w, "paseto-v4-local is PASETO v4.public implemented in this module (paseto.go), not a library.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scheme\ttoken bytes\tsign\tsign x-ed25519\tverify\tverify x-ed25519\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%.1f us\t%.2f [%.2f, %.2f]\t%.1f us\t%.2f [%.2f, %.2f]\t\n",
			r.Name, r.Size, r.SignNs/1e3, r.SignRatio, r.SignSpread[0], r.SignSpread[1],
			r.VerifyNs/1e3, r.VerifyRatio, r.VerifySpread[0], r.VerifySpread[1])
	}
	tw.Flush()
}
