// Package seattest is a lease server for tests: the HTTP API of `licet
// seats serve` (acquire, borrow, renew, release, status), held in memory on
// 127.0.0.1, signing real leases with a site key under a site grant the
// test's vendor key signs, on the test's clock, with knobs to make it
// misbehave (unreachable, forgetful, binding leases to another machine,
// signing them too long). It keeps no log and survives no restart: the
// real server is package seats.
package seattest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/licet/licet/internal/seatclient"
	"github.com/licet/licet/token"
)

// Options describes the site grant and the server.
type Options struct {
	Vendor  ed25519.PrivateKey // signs the site grant
	Issuer  string             // the vendor's issuer id
	Site    string             // the site server's id: grant sub, lease iss
	Product string
	Seats   int
	Lease   time.Duration // longest lease, and the life of each
	Borrow  time.Duration // longest borrow; 0: none
	Borrows int           // most borrows at once
	// Clock gives the time leases are signed at; nil means time.Now.
	Clock func() time.Time
	// RetryAfter is the Retry-After of seats_full, in seconds; 0 means 7.
	RetryAfter int
	// TLS serves HTTPS with a self-signed certificate (Server.CertPEM).
	TLS bool
}

// Counts is what the server answered so far.
type Counts struct {
	Asked    int // POST /v1/leases received
	Acquires int // leases granted (borrows included)
	Renews   int // renewals granted
	Releases int // leases released that it held
}

// Server is a running test lease server.
type Server struct {
	// URL is the server's base URL.
	URL string
	// Grant is the site grant, raw COSE_Sign1.
	Grant []byte
	// CertPEM is the server's certificate (PEM) with Options.TLS.
	CertPEM []byte

	srv   *httptest.Server
	o     Options
	site  ed25519.PrivateKey
	clock func() time.Time

	mu     sync.Mutex
	leases map[string]*lease
	n      uint64
	seq    int
	counts Counts
	down   bool
	bindTo string
	extra  time.Duration
}

type lease struct {
	fp       string
	exp      time.Time
	borrowed bool
}

// New starts a server on 127.0.0.1, stopped when the test ends.
func New(t testing.TB, o Options) *Server {
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a server on 127.0.0.1; Close stops it.
func Start(o Options) (*Server, error) {
	seed := sha256.Sum256([]byte("seattest site key " + o.Site))
	site := ed25519.NewKeyFromSeed(seed[:])
	zero, maxLife := time.Duration(0), max(o.Lease, o.Borrow)
	st := &token.Site{Seats: uint64(o.Seats), Lease: o.Lease}
	if o.Borrow > 0 && o.Borrows > 0 {
		st.Borrow, st.Borrows = o.Borrow, uint64(o.Borrows)
	}
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	now := clock()
	id := sha256.Sum256([]byte("seattest grant " + o.Site))
	g := &token.Grant{
		Issuer: o.Issuer, Subject: o.Site, Audience: []string{o.Product},
		IssuedAt: now.Add(-time.Hour).Truncate(time.Second), Expiry: now.Add(365 * 24 * time.Hour).Truncate(time.Second),
		ID: id[:token.IDSize], Key: site.Public().(ed25519.PublicKey),
		Tiers: []string{"pro"}, Scopes: []string{"api:*"},
		MaxLife: &maxLife, MaxGrace: &zero, Site: st,
	}
	raw, err := token.SignGrant(o.Vendor, g)
	if err != nil {
		return nil, fmt.Errorf("seattest: %v", err)
	}
	if o.RetryAfter == 0 {
		o.RetryAfter = 7
	}
	s := &Server{Grant: raw, o: o, site: site, clock: clock, leases: map[string]*lease{}}
	if o.TLS {
		s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
		s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // clients refusing the certificate
		s.srv.StartTLS()
		s.CertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	} else {
		s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	}
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Counts returns what the server answered so far.
func (s *Server) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Leases returns the outstanding leases: lease id -> fingerprint.
func (s *Server) Leases() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	out := make(map[string]string, len(s.leases))
	for id, l := range s.leases {
		out[id] = l.fp
	}
	return out
}

// SetDown makes the server close every connection without an answer
// (down) or answer again.
func (s *Server) SetDown(down bool) { s.set(func() { s.down = down }) }

// Forget drops every lease, as a server that lost its state: renewals get
// lease_gone.
func (s *Server) Forget() { s.set(func() { clear(s.leases) }) }

// Take holds one seat for another machine until exp, and returns its id.
func (s *Server) Take(exp time.Time) string {
	var id string
	s.set(func() {
		s.n++
		id = s.newID()
		s.leases[id] = &lease{fp: "another-machine", exp: exp}
	})
	return id
}

// Drop frees the seat of lease id.
func (s *Server) Drop(id string) { s.set(func() { delete(s.leases, id) }) }

// BindTo makes the server sign leases for fingerprint fp, whoever asks
// ("" for the asker).
func (s *Server) BindTo(fp string) { s.set(func() { s.bindTo = fp }) }

// Extra makes the server sign leases d longer than the grant allows.
func (s *Server) Extra(d time.Duration) { s.set(func() { s.extra = d }) }

func (s *Server) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

func (s *Server) newID() string {
	id := sha256.Sum256([]byte(s.o.Site + strconv.FormatUint(s.n, 10)))
	return hex.EncodeToString(id[:token.IDSize])
}

func (s *Server) expire() {
	now := s.clock()
	for id, l := range s.leases {
		if !now.Before(l.exp) {
			delete(s.leases, id)
		}
	}
}

func problem(w http.ResponseWriter, status int, code string, retry int) {
	w.Header().Set("Content-Type", "application/problem+json")
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retry))
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": code, "status": status, "code": code})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	s.expire()
	var body struct {
		Product     string `json:"product"`
		Fingerprint string `json:"fingerprint"`
		Client      string `json:"client"`
		Borrow      int64  `json:"borrow"`
		Token       string `json:"token"`
	}
	if r.Body != nil && r.Method != http.MethodGet {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			problem(w, http.StatusBadRequest, "bad_request", 0)
			return
		}
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && path == "/v1/leases":
		s.acquire(w, body.Product, body.Fingerprint, time.Duration(body.Borrow)*time.Second)
	case r.Method == http.MethodPost && strings.HasSuffix(path, "/renew"):
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/v1/leases/"), "/renew")
		l := s.leases[id]
		switch {
		case l == nil:
			problem(w, http.StatusGone, seatclient.CodeLeaseGone, 0)
		case l.fp != body.Fingerprint:
			problem(w, http.StatusForbidden, seatclient.CodeWrongMachine, 0)
		default:
			life := s.o.Lease
			if l.borrowed {
				life = s.o.Borrow
			}
			s.sign(w, http.StatusOK, id, body.Fingerprint, life, l.borrowed)
			s.counts.Renews++
		}
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/v1/leases/"):
		id := strings.TrimPrefix(path, "/v1/leases/")
		if l := s.leases[id]; l != nil && l.fp == body.Fingerprint {
			delete(s.leases, id)
			s.counts.Releases++
		}
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && path == "/v1/status":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(seatclient.Status{Seats: s.seatCount(), BorrowsTotal: uint64(s.borrowed()),
			LeaseMax: int64(max(s.o.Lease, s.o.Borrow) / time.Second), Grant: hex.EncodeToString(s.grantID()), LogSize: uint64(s.seq)})
	default:
		problem(w, http.StatusNotFound, "not_found", 0)
	}
}

func (s *Server) acquire(w http.ResponseWriter, product, fp string, borrow time.Duration) {
	s.counts.Asked++
	switch {
	case product != s.o.Product:
		problem(w, http.StatusForbidden, seatclient.CodeWrongProduct, 0)
		return
	case borrow > 0 && (s.o.Borrow == 0 || s.o.Borrows == 0):
		problem(w, http.StatusForbidden, seatclient.CodeBorrowNotAllowed, 0)
		return
	case borrow > s.o.Borrow:
		problem(w, http.StatusBadRequest, seatclient.CodeBorrowTooLong, 0)
		return
	case len(s.leases) >= s.o.Seats:
		problem(w, http.StatusTooManyRequests, seatclient.CodeSeatsFull, s.o.RetryAfter)
		return
	case borrow > 0 && s.borrowed() >= s.o.Borrows:
		problem(w, http.StatusTooManyRequests, seatclient.CodeBorrowsFull, s.o.RetryAfter)
		return
	}
	s.n++
	life := s.o.Lease
	if borrow > 0 {
		life = borrow
	}
	s.sign(w, http.StatusCreated, s.newID(), fp, life, borrow > 0)
	s.counts.Acquires++
}

func (s *Server) borrowed() int {
	n := 0
	for _, l := range s.leases {
		if l.borrowed {
			n++
		}
	}
	return n
}

func (s *Server) seatCount() seatclient.SeatCount {
	return seatclient.SeatCount{Total: uint64(s.o.Seats), InUse: uint64(len(s.leases)), Borrowed: uint64(s.borrowed())}
}

func (s *Server) grantID() []byte {
	id := sha256.Sum256([]byte("seattest grant " + s.o.Site))
	return id[:token.IDSize]
}

// sign signs a lease, records it and answers with it.
func (s *Server) sign(w http.ResponseWriter, status int, id, fp string, life time.Duration, borrowed bool) {
	cti, _ := hex.DecodeString(id)
	bind := fp
	if s.bindTo != "" {
		bind = s.bindTo
	}
	s.seq++
	now := s.clock().Truncate(time.Second)
	exp := now.Add(life + s.extra)
	meta := map[string]string{"site_seq": strconv.Itoa(s.seq)}
	if borrowed {
		meta["lease"] = "borrow"
	}
	raw, err := token.SignLicense(s.site, &token.License{
		Issuer: s.o.Site, Subject: "site-customer", Audience: []string{s.o.Product},
		IssuedAt: now, Expiry: exp, ID: cti, Tier: "pro", Scopes: []string{"api:read"},
		Bind: map[string]string{"host": bind}, Meta: meta,
	}, s.Grant)
	var text string
	if err == nil {
		text, err = token.EncodeText(raw, "")
	}
	if err != nil {
		// The test sees a 500 where it expects a lease.
		problem(w, http.StatusInternalServerError, "internal", 0)
		return
	}
	s.leases[id] = &lease{fp: fp, exp: exp, borrowed: borrowed}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(seatclient.Lease{ID: id, Token: text, Expires: exp,
		RenewAfter: now.Add(life / 3), Borrowed: borrowed, Seats: s.seatCount()})
}
