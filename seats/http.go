package seats

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/licet/licet/internal/httpserve"
	"github.com/prometheus/client_golang/prometheus"
)

// The top-level members each request body may hold.
var (
	acquireFields = map[string]bool{"product": true, "fingerprint": true, "client": true, "borrow": true, "wait": true}
	renewFields   = map[string]bool{"fingerprint": true, "token": true}
	releaseFields = map[string]bool{"fingerprint": true}
)

// MaxBody caps the request bodies of the lease API: a renewal carries a
// lease, a few kilobytes.
const MaxBody = 64 << 10

// Register adds the lease API to hs (see the package documentation) and
// its metrics to hs's registry.
func (s *Server) Register(hs *httpserve.Server) {
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "licet_seats_requests_total", Help: "Lease requests by operation and outcome (ok or a problem code).",
	}, []string{"op", "outcome"})
	gauge := func(name, help string, f func(Status) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(s.Status()) })
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	hs.Registry().MustRegister(outcomes,
		gauge("licet_seats_total", "Seats of the site grant.", func(st Status) float64 { return float64(st.Seats.Total) }),
		gauge("licet_seats_in_use", "Seats held by unexpired leases, borrowed ones included.", func(st Status) float64 { return float64(st.Seats.InUse) }),
		gauge("licet_seats_borrowed", "Seats borrowed.", func(st Status) float64 { return float64(st.Seats.Borrowed) }),
		gauge("licet_seats_queue", "Requests waiting for a seat.", func(st Status) float64 { return float64(st.Queue) }),
		gauge("licet_seats_safe_mode", "1 while the server refuses new leases because its state could not be verified.", func(st Status) float64 {
			if st.SafeUntil != nil {
				return 1
			}
			return 0
		}),
		counter("licet_seats_log_batches_total", "Batches written to the site log (one fsync each).", func() float64 { b, _ := s.com.Batches(); return float64(b) }),
		counter("licet_seats_log_records_total", "Records written to the site log.", func() float64 { _, r := s.com.Batches(); return float64(r) }),
	)
	count := func(op string, err error) {
		outcome := "ok"
		if err != nil {
			outcome = CodeOf(err)
			if outcome == "" {
				outcome = "error"
			}
		}
		outcomes.WithLabelValues(op, outcome).Inc()
	}
	mux := hs.Mux()
	mux.HandleFunc("POST /v1/leases", func(w http.ResponseWriter, r *http.Request) {
		var req Request
		if err := httpserve.DecodeJSON(r, &req, acquireFields); err != nil {
			httpserve.WriteProblem(w, err)
			return
		}
		l, err := s.Acquire(r.Context(), req)
		count("acquire", err)
		s.reply(w, r, http.StatusCreated, l, err)
	})
	mux.HandleFunc("POST /v1/leases/{id}/renew", func(w http.ResponseWriter, r *http.Request) {
		var req RenewRequest
		if err := httpserve.DecodeJSON(r, &req, renewFields); err != nil {
			httpserve.WriteProblem(w, err)
			return
		}
		l, err := s.Renew(r.Context(), r.PathValue("id"), req)
		count("renew", err)
		s.reply(w, r, http.StatusOK, l, err)
	})
	mux.HandleFunc("DELETE /v1/leases/{id}", func(w http.ResponseWriter, r *http.Request) {
		var req ReleaseRequest
		if err := httpserve.DecodeJSON(r, &req, releaseFields); err != nil {
			httpserve.WriteProblem(w, err)
			return
		}
		err := s.Release(r.Context(), r.PathValue("id"), req)
		count("release", err)
		if err != nil {
			s.reply(w, r, 0, nil, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		httpserve.WriteJSON(w, http.StatusOK, s.Status())
	})
	mux.HandleFunc("GET /v1/leases", func(w http.ResponseWriter, r *http.Request) {
		httpserve.WriteJSON(w, http.StatusOK, map[string]any{"leases": s.Leases()})
	})
}

// reply writes v with status, or err as a problem (with Retry-After for
// the refusals that pass).
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err == nil {
		httpserve.WriteJSON(w, status, v)
		return
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
		}
		httpserve.WriteProblem(w, httpserve.NewProblem(e.Status, e.Code, "%s", e.Detail))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		w.Header().Set("Retry-After", "1")
		httpserve.WriteProblem(w, httpserve.NewProblem(http.StatusServiceUnavailable, "cancelled", "the request ended before a seat freed"))
	default:
		s.log.Error("lease request failed", "path", r.URL.Path, "err", err)
		httpserve.WriteProblem(w, err)
	}
}

// Ready reports whether the server can hand out leases (for /readyz):
// its log writable. Safe mode is not unreadiness: renewals go on.
func (s *Server) Ready(ctx context.Context) error {
	if err := s.com.Err(); err != nil {
		return err
	}
	return nil
}
