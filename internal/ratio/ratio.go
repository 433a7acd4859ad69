// Package ratio measures an operation against a baseline run in the same
// loop, for benchmarks whose result is a ratio (licet's "x-ed25519"
// metrics) rather than a time.
//
// Every iteration runs the operation and its baseline once each, and
// which of the two runs first alternates from one iteration to the next
// (whichever runs second finds caches warm). Each iteration yields one
// ratio, operation time over baseline time; the result is the median of
// those ratios, with the 25th and 75th percentiles as its spread. A
// median of per-iteration ratios is not moved by a few iterations that a
// loaded machine stretched, where a ratio of sums is.
package ratio

import (
	"fmt"
	"slices"
	"time"
)

// Series is the per-iteration ratios of one operation to its baseline.
// The zero value is ready to use.
type Series struct {
	ratios   []float64
	op, base time.Duration // sums, for the mean times
}

// Pair runs op and base once each, timing each, in the order the
// iteration's parity gives (op first on even iterations), and records
// the ratio of their times.
func (s *Series) Pair(op, base func()) {
	var dOp, dBase time.Duration
	if len(s.ratios)%2 == 0 {
		t0 := time.Now()
		op()
		t1 := time.Now()
		base()
		t2 := time.Now()
		dOp, dBase = t1.Sub(t0), t2.Sub(t1)
	} else {
		t0 := time.Now()
		base()
		t1 := time.Now()
		op()
		t2 := time.Now()
		dBase, dOp = t1.Sub(t0), t2.Sub(t1)
	}
	s.Add(dOp, dBase)
}

// Add records one iteration measured by the caller: the operation took
// op and its baseline base. An iteration whose baseline took no
// measurable time is dropped.
func (s *Series) Add(op, base time.Duration) {
	if base <= 0 {
		return
	}
	s.ratios = append(s.ratios, float64(op)/float64(base))
	s.op += op
	s.base += base
}

// N returns the number of iterations recorded.
func (s *Series) N() int { return len(s.ratios) }

// Quantile returns the q-quantile (0 <= q <= 1) of the per-iteration
// ratios, interpolated between neighbours; 0 when nothing was recorded.
func (s *Series) Quantile(q float64) float64 {
	if len(s.ratios) == 0 {
		return 0
	}
	r := slices.Clone(s.ratios)
	slices.Sort(r)
	pos := q * float64(len(r)-1)
	i := int(pos)
	if i >= len(r)-1 {
		return r[len(r)-1]
	}
	f := pos - float64(i)
	return r[i]*(1-f) + r[i+1]*f
}

// Median returns the median of the per-iteration ratios.
func (s *Series) Median() float64 { return s.Quantile(0.5) }

// Spread returns the 25th and 75th percentiles of the per-iteration
// ratios.
func (s *Series) Spread() (p25, p75 float64) { return s.Quantile(0.25), s.Quantile(0.75) }

// MeanOpNs and MeanBaseNs return the mean times of the operation and of
// its baseline, in nanoseconds.
func (s *Series) MeanOpNs() float64 { return s.mean(s.op) }

// MeanBaseNs returns the mean time of the baseline in nanoseconds.
func (s *Series) MeanBaseNs() float64 { return s.mean(s.base) }

func (s *Series) mean(d time.Duration) float64 {
	if len(s.ratios) == 0 {
		return 0
	}
	return float64(d) / float64(len(s.ratios))
}

// String formats the median and spread: "0.52 [0.50, 0.55]".
func (s *Series) String() string {
	lo, hi := s.Spread()
	return fmt.Sprintf("%.2f [%.2f, %.2f]", s.Median(), lo, hi)
}

// Reporter is what Report writes to; *testing.B is one.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Report writes the median as the metric unit and the spread as unit-p25
// and unit-p75.
func (s *Series) Report(r Reporter, unit string) {
	lo, hi := s.Spread()
	r.ReportMetric(s.Median(), unit)
	r.ReportMetric(lo, unit+"-p25")
	r.ReportMetric(hi, unit+"-p75")
}
