package royalty

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/report"
	"github.com/licet/licet/token"
)

// year is the length of a seat-year: 365 days.
const year = 365 * 24 * time.Hour

// Options selects and prices a statement.
type Options struct {
	Period    Period
	Royalties *policy.Royalties
	// Partner, when set, keeps the licenses of this partner only.
	Partner string
}

// Statement is what partners owe for the licenses they issued in a period:
// every license reported (ingested from a report, see [report.Ingest]) that
// counts in the period, priced by tier. A license counts when it was
// issued (its iat), unless it is late (see [report.Late]): then it counts when
// the report that first held it was ingested, so that a partner cannot
// backdate a license into a period already invoiced.
type Statement struct {
	Period   Period
	Vendors  []string // the grants' issuers
	Currency string
	Rows     []*Row   // per partner and tier
	Months   []*Month // per month of the period
	Lines    []*Line  // per license, by issue time
	Tiers    []string // every tier with a license, sorted
	Partners []string // every partner with a license, sorted
	Licenses int
	Late     int // the lines that are late
	Royalty  policy.Amount
}

// Row is the licenses of one tier issued by one partner in the period.
type Row struct {
	Partner   string
	Tier      string
	Price     *policy.Price
	Licenses  int
	Seats     uint64
	SeatYears policy.Amount // in hundredths, like money
	// Grace is the seat-years of grace that SeatYears holds.
	Grace   policy.Amount
	Royalty policy.Amount
}

// Month is what counts in one month, in total and per tier.
type Month struct {
	Start    time.Time
	Licenses int
	Royalty  policy.Amount
	ByTier   map[string]*TierMonth
}

// TierMonth is one tier's share of a month.
type TierMonth struct {
	Licenses int
	Royalty  policy.Amount
}

// Label returns the month as YYYY-MM.
func (m *Month) Label() string { return m.Start.Format("2006-01") }

// Line is one license of a statement. Its billed term runs from Start to
// Expires plus Grace: a license verifies through its grace period, so the
// grace is sold with it.
type Line struct {
	Partner   string
	GrantID   string
	LicenseID string
	Subject   string
	Tier      string
	Issued    time.Time
	Start     time.Time // the term's start: nbf when later than iat
	Expires   time.Time
	Grace     time.Duration
	Seats     uint64
	SeatYears policy.Amount // seats x years of the billed term, in hundredths
	// GraceSeatYears is the part of SeatYears that is grace.
	GraceSeatYears policy.Amount
	Price          *policy.Price
	Royalty        policy.Amount
	// Reported is when the report that first held the license was
	// ingested; Late says it was issued before the partner's previous
	// report was (see [report.Late]), and then it counts at Reported.
	Reported time.Time
	Late     bool
}

// Counted is when the line counts: when it was issued, or when it was
// first reported if it is late.
func (l *Line) Counted() time.Time {
	if l.Late {
		return l.Reported
	}
	return l.Issued
}

// Build prices the reported licenses of the period. A tier
// without a price (and no "*" price) is an error that names it, as is a
// per-seat-year price for a license without an expiry.
func Build(ctx context.Context, led *ledger.Ledger, opt Options) (*Statement, error) {
	if opt.Royalties == nil {
		return nil, errors.New("royalty: no prices: the policy file has no [royalties] table")
	}
	entries, err := reportedLicenses(ctx, led, opt)
	if err != nil {
		return nil, err
	}
	s := &Statement{Period: opt.Period, Currency: opt.Royalties.Currency}
	unpriced := map[string]int{}
	var problems []string
	for _, r := range entries {
		line, err := priceLine(r.Entry, opt.Royalties)
		var np *noPriceError
		switch {
		case errors.As(err, &np):
			unpriced[np.tier]++
			continue
		case err != nil:
			problems = append(problems, err.Error())
			continue
		}
		line.Reported, line.Late = r.reported, r.late
		s.Lines = append(s.Lines, line)
	}
	for _, tier := range slices.Sorted(maps.Keys(unpriced)) {
		problems = append(problems, fmt.Sprintf("tier %q (%d licenses) has no price: add [royalties.prices.%s] (per_seat_year or flat), or a \"*\" price", tier, unpriced[tier], tomlKey(tier)))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("royalty: cannot price the statement: %s", strings.Join(problems, "; "))
	}
	s.total(entries)
	return s, nil
}

// reportedLicense is a license of a mirrored log, with when the report
// that first held it was ingested.
type reportedLicense struct {
	*ledger.Entry
	reported time.Time
	late     bool
}

// counted is when the license counts (see [Line.Counted]).
func (r *reportedLicense) counted() time.Time {
	if r.late {
		return r.reported
	}
	return r.IssuedAt
}

// reportedLicenses returns the licenses of every mirrored log that count
// in the period, by the time they count.
func reportedLicenses(ctx context.Context, led *ledger.Ledger, opt Options) ([]*reportedLicense, error) {
	cps, err := led.Checkpoints(ctx, "")
	if err != nil {
		return nil, err
	}
	byKID := map[string][]*ledger.StoredCheckpoint{} // by size
	var kids []string
	for _, cp := range cps {
		if cp.GrantID == "" { // not from a report: a log this ledger signs itself
			continue
		}
		if byKID[cp.KID] == nil {
			kids = append(kids, cp.KID)
		}
		byKID[cp.KID] = append(byKID[cp.KID], cp)
	}
	var out []*reportedLicense
	for _, kid := range kids {
		es, err := led.List(ctx, ledger.Filter{Kind: ledger.KindLicense, KID: kid, Partner: opt.Partner})
		if err != nil {
			return nil, err
		}
		list := byKID[kid]
		for _, e := range es {
			r := &reportedLicense{Entry: e}
			// The first checkpoint that covers the entry is the report
			// that first held it; the one before, the previous report.
			if i := sort.Search(len(list), func(i int) bool { return list[i].Size > e.Index }); i < len(list) {
				r.reported = list[i].Recorded
				if i > 0 {
					r.late = report.Late(e.IssuedAt, list[i-1].Recorded)
				}
			}
			if opt.Period.Contains(r.counted()) {
				out = append(out, r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].counted().Before(out[j].counted()) })
	return out, nil
}

type noPriceError struct{ tier string }

func (e *noPriceError) Error() string { return "no price for tier " + e.tier }

// priceLine prices one license.
func priceLine(e *ledger.Entry, r *policy.Royalties) (*Line, error) {
	p, ok := r.Price(e.Tier)
	if !ok {
		return nil, &noPriceError{e.Tier}
	}
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, fmt.Errorf("license %s cannot be read: %v", e.ID, err)
	}
	lic, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, fmt.Errorf("license %s cannot be read: %v", e.ID, err)
	}
	l := &Line{Partner: e.Partner, GrantID: e.GrantID, LicenseID: e.ID, Subject: e.Subject, Tier: e.Tier,
		Issued: e.IssuedAt, Start: e.IssuedAt, Expires: e.Expiry, Seats: 1, Price: p}
	if n, ok := lic.Limits[r.SeatLimit]; ok {
		l.Seats = n
	}
	if lic.NotBefore.After(l.Start) {
		l.Start = lic.NotBefore
	}
	// The billed term: to the end of the grace period, during which the
	// license still verifies.
	var term time.Duration
	if !l.Expires.IsZero() {
		l.Grace = lic.Grace
		term = l.Expires.Add(l.Grace).Sub(l.Start)
		l.SeatYears = termShare(100, l.Seats, term)
		l.GraceSeatYears = min(termShare(100, l.Seats, min(l.Grace, term)), l.SeatYears)
	}
	if p.Basis == policy.Flat {
		l.Royalty = p.Amount
		return l, nil
	}
	if l.Expires.IsZero() {
		return nil, fmt.Errorf("license %s of tier %q is perpetual: a per-seat-year price needs an expiry; price the tier flat", e.ID, e.Tier)
	}
	l.Royalty = termShare(int64(p.Amount), l.Seats, term)
	if l.Royalty < 0 {
		return nil, fmt.Errorf("license %s: its royalty is too large to count (%d seats)", e.ID, l.Seats)
	}
	return l, nil
}

// termShare returns amount x seats x term / year, rounded half up; -1 when
// it does not fit.
func termShare(amount int64, seats uint64, term time.Duration) policy.Amount {
	if term <= 0 {
		return 0
	}
	num := new(big.Int).Mul(big.NewInt(amount), new(big.Int).SetUint64(seats))
	num.Mul(num, big.NewInt(int64(term/time.Second)))
	den := big.NewInt(int64(year / time.Second))
	num.Add(num, new(big.Int).Quo(den, big.NewInt(2)))
	num.Quo(num, den)
	if !num.IsInt64() {
		return -1
	}
	return policy.Amount(num.Int64())
}

// total fills the rows, months and totals from the lines.
func (s *Statement) total(entries []*reportedLicense) {
	rows := map[[2]string]*Row{}
	months := map[string]*Month{}
	for _, m := range s.Period.Months() {
		mo := &Month{Start: m, ByTier: map[string]*TierMonth{}}
		months[mo.Label()] = mo
		s.Months = append(s.Months, mo)
	}
	tiers, partners := map[string]bool{}, map[string]bool{}
	for _, l := range s.Lines {
		partners[l.Partner] = true
		k := [2]string{l.Partner, l.Tier}
		r := rows[k]
		if r == nil {
			r = &Row{Partner: l.Partner, Tier: l.Tier, Price: l.Price}
			rows[k] = r
			s.Rows = append(s.Rows, r)
		}
		r.Licenses++
		r.Seats += l.Seats
		r.SeatYears += l.SeatYears
		r.Grace += l.GraceSeatYears
		r.Royalty += l.Royalty
		if l.Late {
			s.Late++
		}
		mo := months[l.Counted().Format("2006-01")]
		tm := mo.ByTier[l.Tier]
		if tm == nil {
			tm = &TierMonth{}
			mo.ByTier[l.Tier] = tm
		}
		tm.Licenses++
		tm.Royalty += l.Royalty
		mo.Licenses++
		mo.Royalty += l.Royalty
		s.Licenses++
		s.Royalty += l.Royalty
		tiers[l.Tier] = true
	}
	sort.Slice(s.Rows, func(i, j int) bool {
		a, b := s.Rows[i], s.Rows[j]
		return a.Partner < b.Partner || a.Partner == b.Partner && a.Tier < b.Tier
	})
	s.Tiers, s.Partners = slices.Sorted(maps.Keys(tiers)), slices.Sorted(maps.Keys(partners))
	vendors := map[string]bool{}
	for _, e := range entries {
		if m, err := token.ParseMessage(e.Raw); err == nil && m.Header.Grant != nil {
			if g, err := token.DecodeGrant(m.Header.Grant.Payload); err == nil {
				vendors[g.Issuer] = true
			}
		}
	}
	s.Vendors = slices.Sorted(maps.Keys(vendors))
}

// tomlKey quotes a TOML key when it is not bare.
func tomlKey(k string) string {
	if k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
		return k
	}
	return fmt.Sprintf("%q", k)
}
