package server

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/docs"
	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
)

// Config is what a [Server] serves.
type Config struct {
	// Issuer signs and records; its key is unlocked before the server
	// starts. The API hands tokens out in its responses, never to files
	// (issue.Out.Reply: recorded written with the token, Write is not
	// called).
	Issuer *issue.Issuer
	// Policy holds the templates POST /v1/licenses mints from; nil for
	// none.
	Policy *policy.Policy
	// Store holds the API tokens and the audit log.
	Store *Store
	// Rate is the sustained requests per second of one token, Burst its
	// burst; 0 is 20/s and 40.
	Rate  float64
	Burst int
	// EvidenceDir is where a refused report's evidence of a rewritten
	// partner log is kept (report.IngestOptions.EvidenceDir).
	EvidenceDir string
	// PoolMax and PoolWait group concurrent mints into one ledger
	// transaction (issue.PoolConfig's Max and Wait); 0 for the defaults.
	PoolMax  int
	PoolWait time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Logger receives the server's events; nil discards them.
	Logger *slog.Logger
}

// Server is the issuance API.
type Server struct {
	cfg    Config
	led    *ledger.Ledger
	log    *slog.Logger
	issued *prometheus.CounterVec
	// pool groups concurrent mints into one ledger transaction each.
	pool    *issue.Pool
	mu      sync.Mutex
	limits  map[string]*rate.Limiter
	limitAt map[string]time.Time
}

// New returns the API of cfg.
func New(cfg Config) *Server {
	if cfg.Rate == 0 {
		cfg.Rate, cfg.Burst = 20, 40
	}
	if cfg.Burst == 0 {
		cfg.Burst = int(math.Ceil(cfg.Rate))
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, led: cfg.Issuer.Ledger, log: log, limits: map[string]*rate.Limiter{}, limitAt: map[string]time.Time{},
		pool: cfg.Issuer.NewPool(issue.PoolConfig{Max: cfg.PoolMax, Wait: cfg.PoolWait, States: true}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "licet_issued_total", Help: "Tokens signed and recorded by the issuance API, by kind (license, renewal, grant, revocations).",
		}, []string{"kind"})}
}

// Close commits the mints pooled and stops the pool: call it once the
// HTTP server has drained its requests.
func (s *Server) Close() { s.pool.Close() }

func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

// Route is one operation of the API.
type Route struct {
	Method, Path string
	// Public routes need no token.
	Public bool
	perm   permission
	h      func(w http.ResponseWriter, r *http.Request, tok *APIToken) error
}

// Routes lists the API's operations, in the order of the OpenAPI
// document.
func (s *Server) Routes() []Route {
	return []Route{
		{Method: "POST", Path: "/v1/licenses", perm: permMint, h: s.createLicense},
		{Method: "GET", Path: "/v1/licenses", perm: permRead, h: s.listLicenses},
		{Method: "GET", Path: "/v1/licenses/{id}", perm: permRead, h: s.getLicense},
		{Method: "POST", Path: "/v1/licenses/{id}/renew", perm: permMint, h: s.renewLicense},
		{Method: "POST", Path: "/v1/licenses/{id}/revoke", perm: permRevoke, h: s.revokeLicense},
		{Method: "POST", Path: "/v1/activations", perm: permMint, h: s.createActivation},
		{Method: "POST", Path: "/v1/reports", perm: permReport, h: s.createReport},
		{Method: "GET", Path: "/v1/statements", perm: permRead, h: s.statements},
		{Method: "GET", Path: "/v1/revocations", Public: true, h: s.revocations},
		{Method: "GET", Path: "/v1/expiring", perm: permRead, h: s.expiring},
		{Method: "POST", Path: "/v1/grants", perm: permAdmin, h: s.createGrant},
		{Method: "GET", Path: "/v1/webhooks/subscriptions", perm: permAdmin, h: s.listSubscriptions},
		{Method: "POST", Path: "/v1/webhooks/subscriptions", perm: permAdmin, h: s.createSubscription},
		{Method: "DELETE", Path: "/v1/webhooks/subscriptions/{id}", perm: permAdmin, h: s.deleteSubscription},
		{Method: "GET", Path: "/v1/openapi.json", Public: true, h: s.openAPI},
	}
}

// Register adds the API's routes to hs (its mux and its metrics
// registry) and makes hs ready only while the ledger answers.
func (s *Server) Register(hs *httpserve.Server) {
	for _, rt := range s.Routes() {
		hs.Mux().Handle(rt.Method+" "+rt.Path, s.handle(rt))
	}
	hs.Registry().MustRegister(s.issued)
	s.registerConsole(hs)
}

// Ready reports whether the token store (the ledger's database) answers.
func (s *Server) Ready(ctx context.Context) error { return s.cfg.Store.Ping(ctx) }

// handle wraps a route: the token checked (401, 403), its rate limit
// (429), errors written as problems.
func (s *Server) handle(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var tok *APIToken
		if !rt.Public {
			var err error
			if tok, err = s.authenticate(r); err != nil {
				if p := (*httpserve.Problem)(nil); errors.As(err, &p) && p.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="licet"`)
				}
				s.fail(w, r, err)
				return
			}
			if !tok.Role.allows(rt.perm) {
				s.fail(w, r, httpserve.NewProblem(http.StatusForbidden, httpserve.CodeForbidden,
					"the token %s (role %s) may not %s %s", tok.ID, tok.Role, rt.Method, rt.Path))
				return
			}
			if wait, ok := s.allow(tok.ID); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
				s.fail(w, r, httpserve.NewProblem(http.StatusTooManyRequests, httpserve.CodeRateLimited,
					"the token %s made more than %g requests per second: try again in %s", tok.ID, s.cfg.Rate, wait.Round(time.Millisecond)))
				return
			}
		}
		if err := rt.h(w, r, tok); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail writes err as a problem, logging what is not the client's fault.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var p *httpserve.Problem
	if !errors.As(err, &p) {
		p = problemOf(err)
	}
	if p.Status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	httpserve.WriteProblem(w, p)
}

// authenticate returns the token of the request's Authorization header.
func (s *Server) authenticate(r *http.Request) (*APIToken, error) {
	h := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || secret == "" {
		return nil, httpserve.NewProblem(http.StatusUnauthorized, httpserve.CodeUnauthenticated,
			"an API token is required: send 'Authorization: Bearer licet_...' (create one with 'licet serve token create')")
	}
	tok, err := s.cfg.Store.Authenticate(r.Context(), strings.TrimSpace(secret))
	if errors.Is(err, ErrBadToken) {
		return nil, httpserve.NewProblem(http.StatusUnauthorized, httpserve.CodeUnauthenticated, "%s", strings.TrimPrefix(err.Error(), "server: "))
	}
	return tok, err
}

// allow takes one request from the token's rate limit; on refusal it
// returns how long to wait.
func (s *Server) allow(id string) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	l := s.limits[id]
	if l == nil {
		if len(s.limits) > 10000 { // forget idle tokens' limiters
			for k, at := range s.limitAt {
				if now.Sub(at) > time.Minute {
					delete(s.limits, k)
					delete(s.limitAt, k)
				}
			}
		}
		l = rate.NewLimiter(rate.Limit(s.cfg.Rate), s.cfg.Burst)
		s.limits[id] = l
	}
	s.limitAt[id] = now
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// openAPI serves the OpenAPI document (docs/openapi.json).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ *APIToken) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(docs.OpenAPI)
	return err
}
