package ratio

import (
	"testing"
	"time"
)

// TestMedianNotSum: one stretched iteration moves a ratio of sums but not
// the median of per-iteration ratios.
func TestMedianNotSum(t *testing.T) {
	var s Series
	for range 9 {
		s.Add(50*time.Microsecond, 100*time.Microsecond)
	}
	s.Add(10*time.Millisecond, 100*time.Microsecond) // a preempted operation
	if m := s.Median(); m != 0.5 {
		t.Errorf("median %v, want 0.5", m)
	}
	if sum := float64(s.op) / float64(s.base); sum < 1 {
		t.Errorf("ratio of sums %v: the test does not exercise the difference", sum)
	}
	lo, hi := s.Spread()
	if lo != 0.5 || hi != 0.5 {
		t.Errorf("spread [%v, %v], want [0.5, 0.5]", lo, hi)
	}
	if s.N() != 10 {
		t.Errorf("N %d", s.N())
	}
}

// TestPairAlternates: the operation runs first on even iterations and
// second on odd ones.
func TestPairAlternates(t *testing.T) {
	var s Series
	var order []string
	for range 4 {
		s.Pair(func() { order = append(order, "op"); time.Sleep(time.Microsecond) },
			func() { order = append(order, "base"); time.Sleep(time.Microsecond) })
	}
	want := []string{"op", "base", "base", "op", "op", "base", "base", "op"}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}
	if s.N() != 4 || s.Median() <= 0 {
		t.Errorf("N %d, median %v", s.N(), s.Median())
	}
}

func TestQuantileEmptyAndInterpolated(t *testing.T) {
	var s Series
	if s.Median() != 0 || s.MeanOpNs() != 0 {
		t.Error("empty series not 0")
	}
	s.Add(1, 1)
	s.Add(3, 1)
	if m := s.Median(); m != 2 {
		t.Errorf("median of 1 and 3: %v", m)
	}
	s.Add(5, 0) // no measurable baseline: dropped
	if s.N() != 2 {
		t.Errorf("N %d, want 2", s.N())
	}
	if got := s.String(); got != "2.00 [1.50, 2.50]" {
		t.Errorf("String %q", got)
	}
}
