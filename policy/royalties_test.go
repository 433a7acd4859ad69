package policy_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/policy"
)

func TestRoyalties(t *testing.T) {
	p, err := policy.Parse([]byte(good+`
[royalties]
currency = "EUR"

[royalties.prices.pro]
per_seat_year = "120.5"

[royalties.prices.team]
flat = 50

[royalties.prices.evaluation]
flat = 0.25

[royalties.prices."*"]
per_seat_year = "9.99"
`), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	r := p.Royalties
	if r == nil || r.Currency != "EUR" || r.SeatLimit != "seats" || len(r.Prices) != 4 {
		t.Fatalf("Royalties = %+v", r)
	}
	for _, c := range []struct {
		tier, want string
	}{
		{"pro", "120.50 per seat-year"},
		{"team", "50.00 flat"},
		{"evaluation", "0.25 flat"},
		{"enterprise", "9.99 per seat-year"}, // the "*" price
	} {
		if got, ok := r.Price(c.tier); !ok || got.String() != c.want {
			t.Errorf("Price(%q) = %v, %v; want %s", c.tier, got, ok, c.want)
		}
	}
	// Templates are untouched, and a file without [royalties] has none.
	if _, err := p.Template("pro"); err != nil {
		t.Error(err)
	}
	if p, _ := policy.Parse([]byte(good), "x"); p.Royalties != nil {
		t.Error("a file without [royalties] has royalties")
	}
	only, err := policy.Parse([]byte("[royalties]\nseats = \"users\"\n[royalties.prices.pro]\nflat = \"1\"\n"), "x")
	if err != nil || only.Royalties.SeatLimit != "users" || len(only.Templates) != 0 {
		t.Fatalf("royalties alone: %+v, %v", only, err)
	}
	if _, ok := only.Royalties.Price("team"); ok {
		t.Error("a tier without a price and no \"*\" has a price")
	}
}

func TestRoyaltiesRefused(t *testing.T) {
	for _, c := range []struct{ name, file, want string }{
		{"both bases", "[royalties.prices.pro]\nflat = \"1\"\nper_seat_year = \"2\"\n", "royalties: prices.pro: per_seat_year and flat exclude each other"},
		{"no basis", "[royalties.prices.pro]\n", "royalties: prices.pro: give per_seat_year or flat"},
		{"three decimals", "[royalties.prices.pro]\nflat = \"1.005\"\n", `royalties: prices.pro.flat: "1.005" is not an amount`},
		{"negative", "[royalties.prices.pro]\nflat = -3\n", "royalties: prices.pro.flat: -3 is negative"},
		{"negative string", "[royalties.prices.pro]\nflat = \"-3\"\n", `"-3" is not an amount`},
		{"boolean", "[royalties.prices.pro]\nflat = true\n", "true is not an amount"},
		{"huge", "[royalties.prices.pro]\nflat = \"1000000000000000\"\n", "is over the largest amount"},
		{"currency", "[royalties]\ncurrency = \"euro\"\n[royalties.prices.pro]\nflat = 1\n", `currency "euro" is not an ISO 4217 code`},
		{"no prices", "[royalties]\ncurrency = \"EUR\"\n", "royalties: no prices"},
		{"unknown key", "[royalties.prices.pro]\nper_seat = \"1\"\n", "unknown keys: royalties.prices.pro.per_seat"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := policy.Parse([]byte(c.file), "licet.toml")
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "policy: licet.toml: ") {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]string{"0": "0.00", "7": "7.00", "7.5": "7.50", "7.05": "7.05", "120.50": "120.50", "100000000000": "100000000000.00"} {
		a, err := policy.ParseAmount(in)
		if err != nil || a.String() != want {
			t.Errorf("ParseAmount(%q) = %v, %v; want %s", in, a, err, want)
		}
	}
	for _, in := range []string{"", ".5", "5.", "1e3", " 5", "5,00", "0x10", "100000000000.01"} {
		if a, err := policy.ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) = %v, want an error", in, a)
		}
	}
	if s := policy.Amount(-1234).String(); s != "-12.34" {
		t.Errorf("Amount(-1234) = %s", s)
	}
}
