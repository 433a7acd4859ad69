// Command procratio times two commands as whole processes, alternating
// them (which runs first alternates too), and prints the median of the
// per-iteration ratios of their wall times with the 25th and 75th
// percentiles, as the rest of licet's benchmarks do: bench/cli.sh uses
// it to compare `licet verify` with `openssl pkeyutl -verify` on the same
// signature. A command that exits non-zero is an error.
//
// Usage:
//
//	go run ./cmd/procratio [-n runs] [-w warmup] -a 'CMD A' -b 'CMD B'
//
// Commands are split on spaces (no shell). Exit status: 0 on success, 1
// when a command fails, 2 on a usage error.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/internal/ratio"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("procratio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 200, "timed runs of each command")
	w := fs.Int("w", 10, "untimed warm-up runs of each command")
	a := fs.String("a", "", "command A (the operation)")
	b := fs.String("b", "", "command B (the baseline)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 || *n < 1 || *w < 0 || strings.TrimSpace(*a) == "" || strings.TrimSpace(*b) == "" {
		fmt.Fprintln(stderr, "procratio: error: want -a and -b commands, -n of at least 1 and no arguments")
		return 2
	}
	ca, cb := strings.Fields(*a), strings.Fields(*b)
	var s ratio.Series
	var ta, tb []float64
	var failed error
	timeOf := func(c []string) time.Duration {
		t0 := time.Now()
		if err := exec.Command(c[0], c[1:]...).Run(); err != nil && failed == nil {
			failed = fmt.Errorf("%s: %w", strings.Join(c, " "), err)
		}
		return time.Since(t0)
	}
	for range *w {
		timeOf(ca)
		timeOf(cb)
	}
	for range *n {
		var da, db time.Duration
		s.Pair(func() { da = timeOf(ca) }, func() { db = timeOf(cb) })
		ta = append(ta, float64(da)/1e6)
		tb = append(tb, float64(db)/1e6)
		if failed != nil {
			fmt.Fprintf(stderr, "procratio: error: %v\n", failed)
			return 1
		}
	}
	lo, hi := s.Spread()
	fmt.Fprintf(stdout, "A: %s\n   median %.2f ms\nB: %s\n   median %.2f ms\nA/B: median of %d per-iteration ratios %.2f [25th %.2f, 75th %.2f]\n",
		*a, median(ta), *b, median(tb), s.N(), s.Median(), lo, hi)
	return 0
}

func median(x []float64) float64 {
	x = slices.Clone(x)
	slices.Sort(x)
	return x[len(x)/2]
}
