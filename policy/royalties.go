package policy

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Royalties is how a vendor prices its partners' licenses: a price per
// tier, in one currency.
type Royalties struct {
	Currency string // ISO 4217 code such as "EUR"; "" for none
	// SeatLimit is the limit that counts a license's seats (default
	// "seats"); a license without it counts as one seat.
	SeatLimit string
	// Prices by tier; the tier "*" prices every tier not listed.
	Prices map[string]*Price
}

// Basis is what a price is per.
type Basis string

// The bases of prices.
const (
	// PerSeatYear is per seat and year of the license's billed term:
	// from its start (iat, or nbf when later) to its expiry plus its
	// grace period, during which it still verifies.
	PerSeatYear Basis = "seat-year"
	Flat        Basis = "flat" // per license
)

// Price is the price of the licenses of one tier.
type Price struct {
	Tier   string
	Basis  Basis
	Amount Amount
}

// String returns the price for people: "120.00 per seat-year", "50.00 flat".
func (p *Price) String() string {
	if p.Basis == Flat {
		return p.Amount.String() + " flat"
	}
	return p.Amount.String() + " per seat-year"
}

// Price returns the price of tier: its own, else the "*" price.
func (r *Royalties) Price(tier string) (*Price, bool) {
	if p, ok := r.Prices[tier]; ok {
		return p, true
	}
	p, ok := r.Prices["*"]
	return p, ok
}

// Amount is a sum of money in hundredths of the currency unit.
type Amount int64

// MaxAmount bounds a price: a hundred billion units.
const MaxAmount Amount = 100_000_000_000_00

var amountPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]{1,18})(\.[0-9]{1,2})?$`) })

// ParseAmount parses a decimal amount with at most two decimals: "120",
// "120.5", "120.50".
func ParseAmount(s string) (Amount, error) {
	m := amountPattern().FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not an amount: write a number with at most two decimals, such as \"120.50\"", s)
	}
	units, _ := strconv.ParseInt(m[1], 10, 64)
	var cents int64
	if m[2] != "" {
		frac := m[2][1:]
		if len(frac) == 1 {
			frac += "0"
		}
		cents, _ = strconv.ParseInt(frac, 10, 64)
	}
	if units > int64(MaxAmount/100) {
		return 0, fmt.Errorf("%q is over the largest amount, %s", s, MaxAmount)
	}
	a := Amount(units*100 + cents)
	if a > MaxAmount {
		return 0, fmt.Errorf("%q is over the largest amount, %s", s, MaxAmount)
	}
	return a, nil
}

// String formats the amount with two decimals: "1234.50".
func (a Amount) String() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%02d", sign, a/100, a%100)
}

type royaltiesWire struct {
	Currency string               `toml:"currency"`
	Seats    string               `toml:"seats"`
	Prices   map[string]priceWire `toml:"prices"`
}

type priceWire struct {
	PerSeatYear any `toml:"per_seat_year"`
	Flat        any `toml:"flat"`
}

var currencyPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{3}$`) })

func checkRoyalties(w *royaltiesWire) (*Royalties, []string) {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, "royalties: "+fmt.Sprintf(format, args...))
	}
	r := &Royalties{Currency: w.Currency, SeatLimit: w.Seats, Prices: map[string]*Price{}}
	if r.Currency != "" && !currencyPattern().MatchString(r.Currency) {
		add("currency %q is not an ISO 4217 code such as \"EUR\"", r.Currency)
	}
	if r.SeatLimit == "" {
		r.SeatLimit = "seats"
	}
	if len(w.Prices) == 0 {
		add("no prices: add [royalties.prices.TIER] with per_seat_year or flat")
	}
	for _, tier := range slices.Sorted(maps.Keys(w.Prices)) {
		pw := w.Prices[tier]
		if strings.TrimSpace(tier) == "" {
			add("a price has an empty tier name")
			continue
		}
		p := &Price{Tier: tier}
		var v any
		switch {
		case pw.PerSeatYear != nil && pw.Flat != nil:
			add("prices.%s: per_seat_year and flat exclude each other", tier)
			continue
		case pw.PerSeatYear != nil:
			p.Basis, v = PerSeatYear, pw.PerSeatYear
		case pw.Flat != nil:
			p.Basis, v = Flat, pw.Flat
		default:
			add("prices.%s: give per_seat_year or flat", tier)
			continue
		}
		a, err := amountOf(v)
		if err != nil {
			add("prices.%s.%s: %v", tier, map[Basis]string{PerSeatYear: "per_seat_year", Flat: "flat"}[p.Basis], err)
			continue
		}
		p.Amount = a
		r.Prices[tier] = p
	}
	return r, problems
}

// amountOf reads an amount written as a string or a TOML number.
func amountOf(v any) (Amount, error) {
	switch x := v.(type) {
	case string:
		return ParseAmount(x)
	case int64:
		if x < 0 {
			return 0, fmt.Errorf("%d is negative", x)
		}
		return ParseAmount(strconv.FormatInt(x, 10))
	case float64:
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%v is not an amount", x)
		}
		return ParseAmount(strconv.FormatFloat(x, 'f', -1, 64))
	}
	return 0, fmt.Errorf("%v is not an amount: write it as a string such as \"120.50\"", v)
}
