package httpserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultMaxBody caps request bodies unless Config.MaxBody says otherwise.
const DefaultMaxBody = 1 << 20

// Config configures a [Server].
type Config struct {
	// Addr is the listen address (host:port).
	Addr string
	// CertFile and KeyFile, both set, serve TLS.
	CertFile, KeyFile string
	// InsecureListen allows plain HTTP on a non-loopback address.
	InsecureListen bool
	// MaxBody caps every request body in bytes; 0 is DefaultMaxBody.
	MaxBody int64
	// DrainTimeout bounds how long shutdown waits for requests in
	// flight; 0 is 30 s.
	DrainTimeout time.Duration
	// Logger receives one line per request and the server's events; nil
	// discards them.
	Logger *slog.Logger
	// Ready reports whether the server can serve (its database reachable,
	// say); nil is always ready until shutdown begins.
	Ready func(context.Context) error
}

// CheckListen applies the listen policy: a loopback address always; any
// other only with TLS or insecure set.
func CheckListen(addr string, tls, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("httpserve: listen address %q: %v", addr, err)
	}
	if isLoopback(host) || tls || insecure {
		return nil
	}
	return fmt.Errorf("httpserve: %s is not a loopback address: give a TLS certificate and key, or allow plain HTTP on the network with --insecure-listen (API tokens and licenses then cross it in clear text)", addr)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Server serves a handler with the scaffolding around it.
type Server struct {
	cfg      Config
	log      *slog.Logger
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	draining atomic.Bool
	mux      *http.ServeMux
}

// New returns a server for cfg. Register routes on [Server.Mux]; metrics
// on [Server.Registry].
func New(cfg Config) *Server {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, registry: prometheus.NewRegistry(), mux: http.NewServeMux()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "licet_http_requests_total", Help: "HTTP requests served, by route pattern and status code.",
	}, []string{"route", "code"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "licet_http_request_duration_seconds", Help: "Time to serve an HTTP request, by route pattern.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route"})
	s.inflight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "licet_http_requests_in_flight", Help: "HTTP requests being served.",
	})
	s.registry.MustRegister(s.requests, s.duration, s.inflight,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	return s
}

// Mux is where the application's routes go.
func (s *Server) Mux() *http.ServeMux { return s.mux }

// Registry is the Prometheus registry served at /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Logger is the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		WriteProblem(w, NewProblem(http.StatusServiceUnavailable, "shutting_down", "the server is shutting down"))
		return
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			s.log.Warn("not ready", "err", err)
			WriteProblem(w, NewProblem(http.StatusServiceUnavailable, "not_ready", "not ready: %v", err))
			return
		}
	}
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// statusWriter records the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler returns the mux wrapped in the scaffolding: body cap, panic
// recovery (a 500 problem), unknown routes and methods as problems, one
// log line and the metrics of each request.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.inflight.Inc()
		defer s.inflight.Dec()
		sw := &statusWriter{ResponseWriter: w}
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBody)
		// The mux serves matched routes itself, so that it sets their
		// path values; Handler only names the route.
		var h http.Handler = s.mux
		_, route := s.mux.Handler(r)
		if route == "" {
			route = "unmatched"
			h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.unmatched(w, r) })
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving a request", "route", route, "panic", fmt.Sprint(v))
				if sw.status == 0 {
					WriteProblem(sw, errors.New("panic"))
				}
			}
			d := time.Since(start)
			s.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
			s.duration.WithLabelValues(route).Observe(d.Seconds())
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "route", route,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(d.Microseconds())/1000, "remote", r.RemoteAddr)
		}()
		h.ServeHTTP(sw, r)
	})
}

// unmatched answers a request no route takes: 405 when the path exists
// for other methods, else 404, as problems.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		rr := r.Clone(r.Context())
		rr.Method = m
		if _, p := s.mux.Handler(rr); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		for _, m := range allowed {
			w.Header().Add("Allow", m)
		}
		WriteProblem(w, NewProblem(http.StatusMethodNotAllowed, CodeMethod, "%s is not allowed on %s", r.Method, r.URL.Path))
		return
	}
	WriteProblem(w, NewProblem(http.StatusNotFound, CodeNotFound, "no such resource: %s", r.URL.Path))
}

// Listen applies the listen policy and opens the listener.
func (s *Server) Listen() (net.Listener, error) {
	tlsOn := s.cfg.CertFile != "" || s.cfg.KeyFile != ""
	if tlsOn && (s.cfg.CertFile == "" || s.cfg.KeyFile == "") {
		return nil, errors.New("httpserve: TLS needs both a certificate file and a key file")
	}
	if err := CheckListen(s.cfg.Addr, tlsOn, s.cfg.InsecureListen); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("httpserve: %v", err)
	}
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(s.cfg.CertFile, s.cfg.KeyFile)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("httpserve: TLS certificate: %v", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}})
	}
	return ln, nil
}

// Serve serves on ln until ctx is cancelled, then drains: /readyz turns
// unready, the listener closes, and requests in flight finish (up to
// DrainTimeout). It returns nil after a clean drain.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("httpserve: %v", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("shutting down: draining requests", "timeout", s.cfg.DrainTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("httpserve: shutdown: %v", err)
	}
	s.log.Info("stopped")
	return nil
}
