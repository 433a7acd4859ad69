package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/licet/licet/verify"
)

// Codes of the refusals that are not verification codes of package verify.
// Like those, they are stable strings for programs.
const (
	CodeNoLicense          = "no_license"          // no license found, or a nil *License
	CodeClockRollback      = "clock_rollback"      // *ClockRollbackError
	CodeListRollback       = "list_rollback"       // *ListRollbackError
	CodeListDropped        = "list_dropped"        // *ListDroppedError (reported, never a refusal)
	CodeRevocationsInvalid = "revocations_invalid" // *RevocationsError
	CodeStateInvalid       = "state_invalid"       // *StateError
	CodeTierTooLow         = "tier_too_low"        // License.RequireTier
	CodeRateLimited        = "rate_limited"        // License.RateLimit
	CodeLeaseReleased      = "lease_released"      // License.Close released the lease
)

// LimitRPM is the license limit that [License.RateLimit] enforces:
// requests per minute.
const LimitRPM = "rpm"

// DefaultProblemType is the default prefix of the problem "type" URI; the
// code is appended: "urn:licet:problem:scope_missing".
const DefaultProblemType = "urn:licet:problem:"

// CodeOf returns the stable code of a licensing error: a verification code
// of package verify ("expired", "revoked", "scope_missing", ...) or one of
// the Code constants of this package. It returns "" for nil and
// "internal" for an error that is neither.
func CodeOf(err error) string {
	var (
		clock *ClockRollbackError
		list  *ListRollbackError
		drop  *ListDroppedError
		revs  *RevocationsError
		st    *StateError
		load  *LoadError
		seat  *SeatError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnlicensed):
		return CodeNoLicense
	case errors.As(err, &clock):
		return CodeClockRollback
	case errors.As(err, &list):
		return CodeListRollback
	case errors.As(err, &drop):
		return CodeListDropped
	case errors.As(err, &revs):
		return CodeRevocationsInvalid
	case errors.As(err, &st):
		return CodeStateInvalid
	case errors.As(err, &load):
		return load.Code()
	case errors.Is(err, errReleased):
		return CodeLeaseReleased
	case errors.As(err, &seat):
		return seat.Code
	}
	if c := verify.CodeOf(err); c != "" {
		return string(c)
	}
	return "internal"
}

// Problem is the RFC 9457 problem details body of a refusal, served as
// application/problem+json.
type Problem struct {
	// Type is a URI for the kind of refusal: Config.ProblemType (or
	// DefaultProblemType) followed by Code.
	Type string `json:"type"`
	// Title is a short summary of the kind of refusal, for people.
	Title string `json:"title"`
	// Status is the HTTP status code, 403 or 429.
	Status int `json:"status"`
	// Detail is a generic explanation of Code, the same for every
	// refusal with that code: it says nothing about the license, the
	// machine or the server (no fingerprint, product, issuer, limit or
	// path). The detail of a refusal goes to Config.Logger.
	Detail string `json:"detail,omitempty"`
	// Code is the stable code: [CodeOf] of the refusal.
	Code string `json:"code"`
	// Scope is the scope that the endpoint needs and the license does
	// not grant, for "scope_missing": the endpoint's requirement, as
	// the product wrote it in [License.Require].
	Scope string `json:"scope,omitempty"`
	// Tier is the tier that the endpoint needs, for "tier_too_low", as
	// the product wrote it in [License.RequireTier].
	Tier string `json:"tier,omitempty"`
}

// genericDetail is the client's explanation of a code.
func genericDetail(code string) string {
	switch code {
	case CodeNoLicense:
		return "no valid license is installed"
	case string(verify.CodeExpired):
		return "the license has expired"
	case string(verify.CodeRevoked):
		return "the license is revoked, or cannot be checked against a current revocation list"
	case CodeClockRollback:
		return "licensing is suspended: the system clock is behind a time already seen"
	case CodeListRollback, CodeRevocationsInvalid:
		return "licensing is suspended: the revocation list cannot be used"
	case CodeStateInvalid:
		return "licensing is suspended: the licensing state cannot be read"
	case string(verify.CodeScopeMissing):
		return "the license does not grant the scope this needs"
	case CodeTierTooLow:
		return "the license tier is below the one this needs"
	case CodeRateLimited:
		return "the licensed request rate is exceeded; retry later"
	case CodeSeatsFull:
		return "every floating seat is taken; retry later"
	case CodeLeaseUnavailable, CodeLeaseReleased, CodeLeaseGone:
		return "no floating seat is held"
	}
	return "the installed license is not valid here"
}

// problemFor returns the 403 for a license that allows nothing.
func problemFor(err error) *Problem {
	code := CodeOf(err)
	p := &Problem{Title: "No valid license", Status: http.StatusForbidden, Code: code}
	if code == string(verify.CodeExpired) {
		p.Title = "License expired"
	}
	return p
}

// refuse sends p, with the generic detail of its code, and logs the
// refusal with its cause on the server side (Config.Logger).
// cause is called only when there is a logger.
func (l *License) refuse(w http.ResponseWriter, r *http.Request, p *Problem, cause func() string) {
	p.Detail = genericDetail(p.Code)
	if l != nil && l.s != nil && l.s.cfg.Logger != nil {
		l.s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "licensing: request refused",
			slog.String("code", p.Code), slog.Int("status", p.Status),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("detail", cause()))
	}
	base := DefaultProblemType
	if l != nil && l.s != nil && l.s.cfg.ProblemType != "" {
		base = l.s.cfg.ProblemType
	}
	p.Type = base + p.Code
	body, err := json.Marshal(p)
	if err != nil { // a Problem of strings and an int always encodes
		http.Error(w, p.Title, p.Status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}

// snapshotNow returns the current snapshot and time, and why it allows
// nothing (nil if it allows).
func (l *License) snapshotNow() (*snapshot, error) {
	s, now := l.view()
	return s, s.check(now)
}

// Require returns middleware that passes a request on only when a license
// is in effect and grants every one of scopes; with no scopes, any license
// in effect will do. Otherwise it answers 403 Forbidden with an RFC 9457
// problem+json body whose "code" says why: "scope_missing" (with "scope"
// naming the first scope missing), "expired", "revoked", "no_license",
// "clock_rollback", ... (see [CodeOf]).
func (l *License) Require(scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := l.snapshotNow()
			if err != nil {
				l.refuse(w, r, problemFor(err), err.Error)
				return
			}
			for _, sc := range scopes {
				if !s.lic.Claims.Allows(sc) {
					l.refuse(w, r, &Problem{
						Title: "Scope not licensed", Status: http.StatusForbidden,
						Code: string(verify.CodeScopeMissing), Scope: sc,
					}, func() string {
						return fmt.Sprintf("the license of %q (id %x, issuer %q) does not grant scope %q", s.lic.Claims.Subject, s.lic.Claims.ID, s.lic.Claims.Issuer, sc)
					})
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireTier returns middleware that passes a request on only when a
// license is in effect whose tier is min or above on the ladder of
// Config.Tiers. Otherwise it answers 403 like [License.Require], with code
// "tier_too_low" and "tier" naming min. A min that is not on the ladder
// refuses every request.
func (l *License) RequireTier(min string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := l.snapshotNow()
			if err != nil {
				l.refuse(w, r, problemFor(err), err.Error)
				return
			}
			want, known := l.s.ranks[min]
			if !known || s.rank < 0 || s.rank < want {
				l.refuse(w, r, &Problem{
					Title: "Tier not licensed", Status: http.StatusForbidden,
					Code: CodeTierTooLow, Tier: min,
				}, func() string {
					return fmt.Sprintf("the license tier is %q; this needs %q or above", s.lic.Claims.Tier, min)
				})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// rpmLimiter is the one rate limiter of a License: created full at the
// first limited request, then only resized when the rpm limit of the
// license in effect changes, so that swapping licenses (or reloading one)
// never refills the bucket.
type rpmLimiter struct {
	rpm atomic.Uint64 // the limit lim is sized for
	mu  sync.Mutex    // serializes resizing
	lim *rate.Limiter
}

// rpmRate returns the refill rate and burst of an rpm limit.
func rpmRate(rpm uint64) (rate.Limit, int) {
	burst := rpm
	if burst > math.MaxInt32 {
		burst = math.MaxInt32
	}
	return rate.Limit(float64(rpm) / 60), int(burst)
}

// limiter returns the License's limiter, sized for rpm at now.
func (l *License) limiter(rpm uint64, now time.Time) *rate.Limiter {
	rl := l.rl.Load()
	if rl == nil {
		n := &rpmLimiter{lim: rate.NewLimiter(rpmRate(rpm))}
		n.rpm.Store(rpm)
		if l.rl.CompareAndSwap(nil, n) {
			return n.lim
		}
		rl = l.rl.Load()
	}
	if rl.rpm.Load() != rpm {
		rl.mu.Lock()
		if rl.rpm.Load() != rpm {
			// Keep the tokens left (at most the new burst): a license
			// with a higher limit refills faster, it does not start full.
			limit, burst := rpmRate(rpm)
			rl.lim.SetLimitAt(now, limit)
			rl.lim.SetBurstAt(now, burst)
			rl.rpm.Store(rpm)
		}
		rl.mu.Unlock()
	}
	return rl.lim
}

// RateLimit returns middleware that enforces the "rpm" limit of the
// license in effect, for all requests through it together: a token bucket
// that holds rpm requests and refills at rpm per minute. A request over
// the limit gets 429 Too Many Requests with a Retry-After header and a
// problem+json body with code "rate_limited". The bucket belongs to the
// License handle and outlives reloads: a license with another limit
// resizes it (capacity and refill rate) and keeps the requests already
// used, so swapping licenses back and forth never refills it, and a
// higher limit is reached by refilling at its rate, not at once.
// Requests pass unlimited when
// the license sets no rpm limit or when no license is in effect (then
// [License.Require] is what refuses them).
func (l *License) RateLimit() func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := l.snapshotNow()
			if err != nil {
				next.ServeHTTP(w, r)
				return
			}
			rpm, ok := s.lic.Claims.Limit(LimitRPM)
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			now := l.s.clock()
			res := l.limiter(rpm, now).ReserveN(now, 1)
			wait := time.Minute
			if res.OK() {
				if wait = res.DelayFrom(now); wait <= 0 {
					next.ServeHTTP(w, r)
					return
				}
				res.CancelAt(now)
			}
			secs := int64(math.Ceil(wait.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			l.refuse(w, r, &Problem{
				Title: "Rate limit exceeded", Status: http.StatusTooManyRequests, Code: CodeRateLimited,
			}, func() string {
				return fmt.Sprintf("the license allows %d requests per minute; retry in %d s", rpm, secs)
			})
		})
	}
}
