package seats

import (
	"cmp"
	"container/heap"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/leaseapi"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
	"golang.org/x/mod/sumdb/tlog"
)

// Meta keys of a lease (the license's "meta" claim).
const (
	// MetaSiteSeq is the index in the site log of the record that granted
	// or renewed the lease, in decimal.
	MetaSiteSeq = "site_seq"
	// MetaLease is "borrow" on a borrowed seat.
	MetaLease = "lease"
)

// Defaults of [Config].
const (
	DefaultClockAllowance = 2 * time.Second
	DefaultMaxWait        = 30 * time.Second // within the HTTP server's write timeout (60 s)
	DefaultMaxQueue       = 1024
)

// Config configures a lease [Server].
type Config struct {
	// Dir is the state directory (created 0700 if missing).
	Dir string
	// Key is the site key, the partner key of the grant.
	Key crypto.Signer
	// Grant is the site grant, in any form token.Decode reads.
	Grant []byte
	// Subject is the sub of every lease, the site's customer id; "" is
	// the grant's subject.
	Subject string
	// Tier is the tier of every lease; "" is the grant's first tier.
	Tier string
	// Scopes are the scopes of every lease, within the grant's.
	Scopes []string
	// Clock is the time; nil is time.Now.
	Clock func() time.Time
	// Rand supplies lease ids; nil is crypto/rand.
	Rand io.Reader
	// Logger receives the server's events; nil discards them.
	Logger *slog.Logger
	// ClockAllowance is how far the clock may go back behind the newest
	// record before the server refuses to work; 0 is
	// DefaultClockAllowance.
	ClockAllowance time.Duration
	// MaxWait caps how long a request may queue for a seat; 0 is
	// DefaultMaxWait.
	MaxWait time.Duration
	// MaxQueue caps how many requests may queue; 0 is DefaultMaxQueue.
	MaxQueue int
}

// Stable error codes of the lease server (the problem codes of its API).
const (
	CodeSeatsFull        = "seats_full"
	CodeBorrowsFull      = "borrows_full"
	CodeBorrowNotAllowed = "borrow_not_allowed"
	CodeBorrowTooLong    = "borrow_too_long"
	CodeWrongProduct     = "wrong_product"
	CodeStateUnverified  = "state_unverified"
	CodeLeaseGone        = "lease_gone"
	CodeWrongMachine     = "wrong_machine"
	CodeClockMovedBack   = "clock_moved_back"
	CodeGrantExpired     = "grant_expired"
	CodeBadRequest       = "bad_request"
	CodeBadToken         = "bad_token"
	CodeLogFailed        = "log_failed"
)

// Error is a refusal of the lease server: an HTTP status, a stable code,
// and for the refusals that pass, when to try again.
type Error struct {
	Status     int
	Code       string
	Detail     string
	RetryAfter time.Duration // 0: none
}

// Error returns the detail.
func (e *Error) Error() string { return "seats: " + e.Detail }

func refuse(status int, code string, retry time.Duration, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Detail: fmt.Sprintf(format, args...), RetryAfter: retry}
}

// CodeOf returns the code of an [*Error], "" for another error.
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// The messages of the lease API, declared once for the server and its
// clients (internal/seatclient, sdk) in package leaseapi.
type (
	// Request asks for a lease: POST /v1/leases.
	Request = leaseapi.LeaseRequest
	// RenewRequest renews a lease.
	RenewRequest = leaseapi.RenewRequest
	// ReleaseRequest releases a lease.
	ReleaseRequest = leaseapi.ReleaseRequest
	// Seats counts the seats.
	Seats = leaseapi.SeatCount
	// Lease is a lease handed out: its id, the signed token, when it
	// expires and when the client should renew it.
	Lease = leaseapi.Lease
	// Status is the server's state, as GET /v1/status shows it.
	Status = leaseapi.Status
)

// Outstanding is a lease held, as GET /v1/leases lists it.
type Outstanding struct {
	// ID is the lease id: whoever knows it (with the machine's
	// fingerprint, which is no secret) can renew or release the lease,
	// so GET /v1/leases shows Ref instead.
	ID          string    `json:"-"`
	Ref         string    `json:"ref"` // LeaseRef(ID)
	Product     string    `json:"product"`
	Client      string    `json:"client,omitempty"`
	Fingerprint string    `json:"fingerprint"`
	Expires     time.Time `json:"expires"`
	Borrowed    bool      `json:"borrowed"`
}

// lease is an outstanding lease.
type lease struct {
	id          string
	product     string
	fingerprint string
	client      string
	expires     time.Time
	length      time.Duration // of the lease, or of the borrow
	borrowed    bool
}

// waiter is a request queued for a seat (not of zero size: each must
// have its own address).
type waiter struct{ _ byte }

// Server is a site's lease server. Its methods are safe for concurrent
// use; each change reaches the log on disk before the method returns.
type Server struct {
	cfg      Config
	grant    *token.Grant
	signer   *token.LicenseSigner // the site key under the grant
	site     *token.Site
	pub      ed25519.PublicKey
	siteKeys *verify.KeySet // the site key alone: whether a presented lease is ours
	kid      []byte
	origin   string
	tier     string
	subject  string
	log      *slog.Logger
	com      *Committer

	mu        sync.Mutex
	leases    map[string]*lease
	borrowed  int
	lastAt    time.Time // the newest record's time
	safeUntil time.Time
	waiters   []*waiter
	changed   chan struct{} // closed and replaced when a seat frees
	// leaseAt[seq] is the lease id of record seq (zero for records of
	// no lease): a presented lease's site_seq must name its own record.
	leaseAt [][token.IDSize]byte
	// expiries orders the leases by expiry, so that a sweep looks only
	// at those due; a lease whose expiry moved has a stale entry, skipped.
	expiries expiryHeap
	closed   bool
	// signing holds one token per core: callers sign on their own
	// goroutines, but no more of them at once than there are cores, so
	// that the log's writer, woken by its fsync, finds a core free
	// instead of a queue of signers.
	signing chan struct{}
	// closing is held for reading by every call that may write records,
	// and for writing by Close: the log closes after the last of them.
	closing sync.RWMutex
}

// expiryHeap is a min-heap of leases by the expiry they had when pushed.
type expiryHeap []expiryEntry

type expiryEntry struct {
	at time.Time
	le *lease
}

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// due pushes le's current expiry; s.mu is held.
func (s *Server) due(le *lease) { heap.Push(&s.expiries, expiryEntry{at: le.expires, le: le}) }

// Open starts the lease server of cfg: it reads the site grant, the
// state directory's log and head, restores the outstanding leases, and
// enters safe mode when the state cannot be trusted (see the package
// documentation). It refuses to start when the clock is behind the log.
func Open(cfg Config) (*Server, error) {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.ClockAllowance == 0 {
		cfg.ClockAllowance = DefaultClockAllowance
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MaxQueue == 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	s := &Server{cfg: cfg, log: cfg.Logger, leases: map[string]*lease{}, changed: make(chan struct{}),
		signing: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.readGrant(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("seats: the state directory: %v", err)
	}
	if fi, err := os.Stat(cfg.Dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("seats: the state directory %s is not a directory", cfg.Dir)
	} else if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seats: the state directory %s is open to others (mode %v): chmod 700 it", cfg.Dir, fi.Mode().Perm())
	}
	now := cfg.Clock()
	l, reasons, err := s.readState()
	if err != nil {
		return nil, err
	}
	if err := s.restore(l, now); err != nil {
		return nil, err
	}
	signer, err := checkpoint.NewSigner(s.origin, cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("seats: %s", strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	w, err := OpenWriter(cfg.Dir, l, signer, s.origin)
	if err != nil {
		return nil, err
	}
	w.Log().Forget()
	s.com = NewCommitter(w)
	s.com.OnHeadError = func(err error) { s.log.Error("writing the head file", "err", err) }
	// The start, and any reason not to trust the state, go on record
	// before the first request.
	s.mu.Lock()
	s.touch(now)
	recs := []Record{s.record(now, EventStarted, nil)}
	if len(reasons) > 0 {
		why := strings.Join(reasons, "; ")
		s.log.Warn("the state cannot be trusted: safe mode, no new leases for one longest lease", "reason", why,
			"until", now.Add(s.site.MaxLease()).Format(time.RFC3339))
		recs = append(recs, s.enterSafe(now, why))
	}
	expired := s.sweep(now)
	s.mu.Unlock()
	for _, r := range append(recs, expired...) {
		if err := s.com.Commit(r); err != nil {
			s.com.Close()
			return nil, err
		}
	}
	s.log.Info("lease server started", "grant", hex.EncodeToString(s.grant.ID), "seats", s.site.Seats,
		"restored", len(s.leases), "log", w.Log().Len())
	return s, nil
}

// readGrant reads the site grant and checks it names the site key.
func (s *Server) readGrant() error {
	if s.cfg.Key == nil {
		return errors.New("seats: no site key")
	}
	pub, ok := s.cfg.Key.Public().(ed25519.PublicKey)
	if !ok {
		return errors.New("seats: the site key is not an Ed25519 key")
	}
	m, _, err := token.Decode(s.cfg.Grant)
	if err != nil {
		return fmt.Errorf("seats: the site grant: %v", err)
	}
	if m.Header.Typ != token.TypeGrant {
		return fmt.Errorf("seats: the site grant is a %q, not a grant", m.Header.Typ)
	}
	g, err := token.DecodeGrant(m.Payload)
	if err != nil {
		return fmt.Errorf("seats: the site grant: %v", err)
	}
	if g.Site == nil {
		return errors.New("seats: the grant is not a site grant (it has no \"site\" claim: licet grant --site-seats)")
	}
	if !g.Key.Equal(pub) {
		return fmt.Errorf("seats: the grant is for the key %x, not the site key %x", token.KeyID(g.Key), token.KeyID(pub))
	}
	s.grant, s.site, s.pub, s.kid = g, g.Site, pub, token.KeyID(pub)
	if s.signer, err = token.NewLicenseSigner(s.cfg.Key, m.Raw); err != nil {
		return fmt.Errorf("seats: the site key and grant: %v", err)
	}
	if s.siteKeys, err = verify.NewKeySet(verify.Key{PublicKey: pub, Issuer: g.Subject}); err != nil {
		return fmt.Errorf("seats: the site key: %v", err)
	}
	s.origin = "licet/seats/" + hex.EncodeToString(g.ID)
	s.subject = s.cfg.Subject
	if s.subject == "" {
		s.subject = g.Subject
	}
	s.tier = s.cfg.Tier
	if s.tier == "" {
		s.tier = g.Tiers[0]
		if s.tier == "*" {
			return errors.New("seats: the grant allows any tier: say which one leases carry (--tier)")
		}
	}
	// A lease the server signs must verify: try one now.
	start := g.IssuedAt
	if !g.NotBefore.IsZero() {
		start = g.NotBefore
	}
	probe := s.license(g.Audience[0], strings.Repeat("0", 32), start, start.Add(time.Second), 0, false, "00000000")
	if v := verify.Violations(g, probe); len(v) > 0 {
		return fmt.Errorf("seats: leases would break the grant: %s", strings.Join(v, "; "))
	}
	return nil
}

// readState reads the log and head of the state directory, and returns
// the log to go on from (nil for a new one) and the reasons, if any, not
// to trust it. A log that cannot be read or is not this site's is moved
// aside (kept for the audit), and a new one begins.
func (s *Server) readState() (*Log, []string, error) {
	dir := s.cfg.Dir
	logPath, headPath := filepath.Join(dir, LogFile), filepath.Join(dir, HeadFile)
	_, logErr := os.Stat(logPath)
	_, headErr := os.Stat(headPath)
	switch {
	case os.IsNotExist(logErr) && os.IsNotExist(headErr):
		return nil, nil, nil
	case os.IsNotExist(logErr):
		return nil, []string{"the log is missing while the head file exists"}, nil
	case logErr != nil:
		return nil, nil, fmt.Errorf("seats: %v", logErr)
	}
	var reasons []string
	l, err := ReadLog(dir)
	if err == nil && l.Head() != nil {
		if l.Origin != s.origin {
			err = fmt.Errorf("seats: the log is %q, not this grant's %q", l.Origin, s.origin)
		} else if _, verr := checkpoint.Open(l.Head().Note, s.origin, s.pub, maxNote); verr != nil {
			err = fmt.Errorf("seats: the log is not signed by the site key: %s", strings.TrimPrefix(verr.Error(), "checkpoint: "))
		}
	}
	if err != nil {
		aside := fmt.Sprintf("%s.broken-%d", logPath, s.cfg.Clock().Unix())
		if rerr := os.Rename(logPath, aside); rerr != nil {
			return nil, nil, fmt.Errorf("%v (moving it aside: %v)", err, rerr)
		}
		s.log.Error("the log cannot be trusted: moved aside, a new log begins", "err", err, "kept", aside)
		return nil, []string{strings.TrimPrefix(err.Error(), "seats: ")}, nil
	}
	if l.Cut > 0 {
		s.log.Warn("the end of the log was torn by a crash and is cut off (its callers were never answered)",
			"bytes", l.Cut, "what", l.CutReason)
	}
	if l.Head() == nil {
		// Nothing was ever committed: a first start that crashed.
		if os.IsNotExist(headErr) {
			return l, nil, nil
		}
	}
	head, herr := ReadHead(dir, s.origin, s.pub)
	switch {
	case os.IsNotExist(headErr):
		reasons = append(reasons, "the head file is missing while the log exists")
	case herr != nil:
		reasons = append(reasons, strings.TrimPrefix(herr.Error(), "seats: "))
	case head.Size > l.Len():
		reasons = append(reasons, fmt.Sprintf("the log has %d records, fewer than the %d of the signed head: it was rolled back", l.Len(), head.Size))
	default:
		root, err := tlog.TreeHash(head.Size, l)
		if err != nil || root != head.Root {
			reasons = append(reasons, fmt.Sprintf("the log's first %d records do not match the signed head: it was rewritten", head.Size))
		}
	}
	return l, reasons, nil
}

// restore replays the log's records: the outstanding leases, the newest
// record's time, safe mode. It refuses a clock behind the log.
func (s *Server) restore(l *Log, now time.Time) error {
	if l == nil {
		return nil
	}
	for _, r := range l.Records {
		var id [token.IDSize]byte
		if b, err := hex.DecodeString(r.Lease); err == nil && len(b) == token.IDSize {
			id = [token.IDSize]byte(b)
		}
		s.leaseAt = append(s.leaseAt, id)
		if r.At.After(s.lastAt) {
			s.lastAt = r.At
		}
		switch r.Event {
		case EventGranted, EventBorrowed:
			s.leases[r.Lease] = &lease{id: r.Lease, product: r.Product, fingerprint: r.Fingerprint, client: r.Client,
				expires: r.Expires, borrowed: r.Event == EventBorrowed, length: cmp.Or(leaseLength(r), s.site.Lease)}
		case EventRenewed:
			if le := s.leases[r.Lease]; le != nil && r.Expires.After(le.expires) {
				le.expires = r.Expires
			}
		case EventReleased, EventReturned, EventExpired:
			delete(s.leases, r.Lease)
		case EventSafeMode:
			if r.Expires.After(s.safeUntil) {
				s.safeUntil = r.Expires
			}
		}
	}
	for _, le := range s.leases {
		if le.borrowed {
			s.borrowed++
		}
		s.due(le)
	}
	if now.Before(s.lastAt.Add(-s.cfg.ClockAllowance)) {
		return fmt.Errorf("seats: the clock (%s) is behind the log's newest record (%s): the server does not start until the clock is right",
			now.UTC().Format(AtLayout), s.lastAt.UTC().Format(AtLayout))
	}
	return nil
}

// leaseLength returns the length of the lease a record grants, from its
// token's iat and exp (the grant's longest lease when unreadable).
func leaseLength(r Record) time.Duration {
	m, _, err := token.Decode([]byte(r.Token))
	if err == nil {
		if l, err := token.DecodeLicense(m.Payload); err == nil && !l.Expiry.IsZero() {
			return l.Expiry.Sub(l.IssuedAt)
		}
	}
	return 0
}

// Close stops the server: the records handed in are written, the log is
// closed, queued requests are refused.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.changed)
	s.mu.Unlock()
	s.closing.Lock() // the calls in flight end: queued ones are woken and refused
	defer s.closing.Unlock()
	return s.com.Close()
}

// now reads the clock and refuses one behind the log; s.mu is held.
func (s *Server) now() (time.Time, error) {
	now := s.cfg.Clock()
	if now.Before(s.lastAt.Add(-s.cfg.ClockAllowance)) {
		s.log.Error("the clock moved back behind the log", "now", now, "newest", s.lastAt)
		return now, refuse(http.StatusServiceUnavailable, CodeClockMovedBack, 0,
			"the server's clock (%s) moved back behind its log's newest record (%s): no leases until it is right",
			now.UTC().Format(time.RFC3339), s.lastAt.UTC().Format(time.RFC3339))
	}
	if s.closed {
		return now, refuse(http.StatusServiceUnavailable, "shutting_down", time.Second, "the server is shutting down")
	}
	return now, nil
}

// touch notes a record's time; s.mu is held.
func (s *Server) touch(now time.Time) {
	if now.After(s.lastAt) {
		s.lastAt = now
	}
}

// record reserves the next sequence number for an event about le (nil
// for none); s.mu is held, so the log's order is the order of the
// changes.
func (s *Server) record(now time.Time, event string, le *lease) Record {
	r := Record{Seq: s.com.Reserve(), At: now, Event: event, InUse: len(s.leases)}
	var id [token.IDSize]byte
	if le != nil {
		r.Lease, r.Product, r.Fingerprint, r.Client = le.id, le.product, le.fingerprint, le.client
		if b, err := hex.DecodeString(le.id); err == nil && len(b) == token.IDSize {
			id = [token.IDSize]byte(b)
		}
	}
	s.leaseAt = append(s.leaseAt, id)
	s.touch(now)
	return r
}

// enterSafe starts (or extends) safe mode; s.mu is held.
func (s *Server) enterSafe(now time.Time, why string) Record {
	if until := now.Add(s.site.MaxLease()); until.After(s.safeUntil) {
		s.safeUntil = until
	}
	r := s.record(now, EventSafeMode, nil)
	r.Expires, r.Reason = s.safeUntil, why
	return r
}

// sweep ends the leases past their expiry and returns their records;
// s.mu is held.
func (s *Server) sweep(now time.Time) []Record {
	var out []Record
	for len(s.expiries) > 0 && !s.expiries[0].at.After(now) {
		le := heap.Pop(&s.expiries).(expiryEntry).le
		if s.leases[le.id] != le || le.expires.After(now) {
			continue // released, or renewed: a later entry stands
		}
		delete(s.leases, le.id)
		if le.borrowed {
			s.borrowed--
		}
		r := s.record(now, EventExpired, le)
		r.Expires = le.expires
		out = append(out, r)
	}
	if len(out) > 0 {
		s.wake()
	}
	return out
}

// wake tells queued requests that a seat freed; s.mu is held.
func (s *Server) wake() {
	if s.closed {
		return
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// Sweep ends the leases past their expiry, writing their records. The
// server sweeps at every request; [Server.Run] also sweeps every second.
func (s *Server) Sweep() error {
	s.closing.RLock()
	defer s.closing.RUnlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	recs := s.sweep(s.cfg.Clock())
	s.mu.Unlock()
	return s.commitAll(recs)
}

// Run sweeps expired leases every second until ctx is done.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sweep(); err != nil {
				s.log.Error("sweeping expired leases", "err", err)
			}
		}
	}
}

func (s *Server) commitAll(recs []Record) error {
	for _, r := range recs {
		s.com.CommitAsync(r)
	}
	return nil
}

func (s *Server) seats() Seats {
	return Seats{Total: uint64(s.site.Seats), InUse: uint64(len(s.leases)), Borrowed: uint64(s.borrowed)}
}

// checkText refuses empty or unprintable text, or text over max bytes.
func checkText(name, v string, max int, required bool) error {
	if v == "" {
		if required {
			return refuse(http.StatusBadRequest, CodeBadRequest, 0, "%s is required", name)
		}
		return nil
	}
	if len(v) > max {
		return refuse(http.StatusBadRequest, CodeBadRequest, 0, "%s is longer than %d bytes", name, max)
	}
	for _, r := range v {
		if !unicode.IsPrint(r) {
			return refuse(http.StatusBadRequest, CodeBadRequest, 0, "%s holds the unprintable character %U", name, r)
		}
	}
	return nil
}

// checkFingerprint refuses a fingerprint that is not 8 to 128 hex digits.
func checkFingerprint(fp string) error {
	if err := checkText("fingerprint", fp, 128, true); err != nil {
		return err
	}
	if _, err := hex.DecodeString(fp); err != nil || len(fp) < 8 {
		return refuse(http.StatusBadRequest, CodeBadRequest, 0, "fingerprint %q is not a machine fingerprint (8 to 128 hex digits)", fp)
	}
	return nil
}

func checkID(id string) error {
	if b, err := hex.DecodeString(id); err != nil || len(b) != token.IDSize || strings.ToLower(id) != id {
		return refuse(http.StatusBadRequest, CodeBadRequest, 0, "lease id %q is not %d lowercase hex digits", id, 2*token.IDSize)
	}
	return nil
}

// Acquire hands out a lease of one seat, a borrowed one when req.Borrow
// is set; when every seat is taken it queues up to req.Wait seconds.
func (s *Server) Acquire(ctx context.Context, req Request) (*Lease, error) {
	s.closing.RLock()
	defer s.closing.RUnlock()
	if err := checkText("product", req.Product, 256, true); err != nil {
		return nil, err
	}
	if !slices.Contains(s.grant.Audience, req.Product) {
		return nil, refuse(http.StatusForbidden, CodeWrongProduct, 0, "product %q is not in the site grant (%s)", req.Product, strings.Join(s.grant.Audience, ", "))
	}
	if err := checkFingerprint(req.Fingerprint); err != nil {
		return nil, err
	}
	if err := checkText("client", req.Client, 256, false); err != nil {
		return nil, err
	}
	if req.Wait < 0 || req.Borrow < 0 {
		return nil, refuse(http.StatusBadRequest, CodeBadRequest, 0, "wait and borrow are seconds, not negative")
	}
	length := s.site.Lease
	borrow := req.Borrow > 0
	if borrow {
		if !s.site.CanBorrow() {
			return nil, refuse(http.StatusForbidden, CodeBorrowNotAllowed, 0, "the site grant allows no borrowing")
		}
		if req.Borrow > int64(s.site.Borrow/time.Second) {
			return nil, refuse(http.StatusBadRequest, CodeBorrowTooLong, 0, "a borrow of %ds is longer than the grant's %ds", req.Borrow, int64(s.site.Borrow/time.Second))
		}
		length = time.Duration(req.Borrow) * time.Second
	}
	wait := s.cfg.MaxWait
	if req.Wait < int64(wait/time.Second) {
		wait = time.Duration(req.Wait) * time.Second
	}
	deadline := time.Now().Add(wait)
	var w *waiter
	var le *lease
	var r Record
	for {
		s.mu.Lock()
		now, err := s.now()
		if err != nil {
			s.dequeue(w)
			s.mu.Unlock()
			return nil, err
		}
		expired := s.sweep(now)
		rec, ok, retry, err := s.take(now, req, borrow, length, w, time.Until(deadline) > 0)
		switch {
		case ok:
			s.dequeue(w)
			le, r = rec.le, rec.r
		case err != nil:
			s.dequeue(w)
		case w == nil:
			w = &waiter{}
			s.waiters = append(s.waiters, w)
		}
		changed := s.changed
		s.mu.Unlock()
		s.commitAll(expired)
		if ok {
			break
		}
		if err != nil {
			if rec.r.Event != "" {
				s.com.CommitAsync(rec.r)
			}
			return nil, err
		}
		t := time.NewTimer(min(time.Until(deadline), retry, time.Second))
		select {
		case <-changed:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.mu.Lock()
			s.dequeue(w)
			s.mu.Unlock()
			return nil, ctx.Err()
		}
		t.Stop()
	}
	return s.sign(le, r)
}

type taken struct {
	le *lease
	r  Record
}

// take gives a seat to req if one is free for it (after the queued
// requests before w), or refuses, or says to wait (no error, not ok);
// s.mu is held. A refusal's record is returned to be committed.
func (s *Server) take(now time.Time, req Request, borrow bool, length time.Duration, w *waiter, canWait bool) (taken, bool, time.Duration, error) {
	if now.Before(s.safeUntil) {
		retry := s.safeUntil.Sub(now)
		return taken{}, false, 0, refuse(http.StatusServiceUnavailable, CodeStateUnverified, retry,
			"the server's state could not be verified (lost or rolled back): no new leases until %s", s.safeUntil.UTC().Format(time.RFC3339))
	}
	if now.After(s.grant.Expiry) {
		return taken{}, false, 0, refuse(http.StatusServiceUnavailable, CodeGrantExpired, 0, "the site grant expired at %s", s.grant.Expiry.UTC().Format(time.RFC3339))
	}
	refused := func(code string, retry time.Duration, format string, args ...any) (taken, bool, time.Duration, error) {
		le := &lease{product: req.Product, fingerprint: req.Fingerprint, client: req.Client}
		r := s.record(now, EventRefused, le)
		r.Reason = code
		return taken{r: r}, false, 0, refuse(http.StatusTooManyRequests, code, retry, format, args...)
	}
	if borrow && s.borrowed >= int(s.site.Borrows) {
		return refused(CodeBorrowsFull, s.nextExpiry(now, true), "all %d seats that may be borrowed at once are borrowed", s.site.Borrows)
	}
	pos := len(s.waiters)
	if i := slices.Index(s.waiters, w); i >= 0 {
		pos = i
	}
	free := int(s.site.Seats) - len(s.leases)
	if free > pos {
		id, err := token.NewID(s.cfg.Rand)
		if err != nil {
			return taken{}, false, 0, err
		}
		exp := s.expiry(now, length)
		le := &lease{id: hex.EncodeToString(id), product: req.Product, fingerprint: req.Fingerprint, client: req.Client,
			expires: exp, length: length, borrowed: borrow}
		s.leases[le.id] = le
		s.due(le)
		event := EventGranted
		if borrow {
			s.borrowed++
			event = EventBorrowed
		}
		r := s.record(now, event, le)
		r.Expires = exp
		return taken{le: le, r: r}, true, 0, nil
	}
	retry := s.nextExpiry(now, false)
	if !canWait {
		return refused(CodeSeatsFull, retry, "all %d seats are in use", s.site.Seats)
	}
	if w == nil && len(s.waiters) >= s.cfg.MaxQueue {
		return refused(CodeSeatsFull, retry, "all %d seats are in use and %d requests wait for one", s.site.Seats, len(s.waiters))
	}
	return taken{}, false, retry, nil
}

// nextExpiry returns how long until the next seat (a borrowed one with
// borrowed) frees by expiry, at least a second; s.mu is held.
func (s *Server) nextExpiry(now time.Time, borrowed bool) time.Duration {
	var next time.Time
	for _, le := range s.leases {
		if borrowed && !le.borrowed {
			continue
		}
		if next.IsZero() || le.expires.Before(next) {
			next = le.expires
		}
	}
	d := next.Sub(now)
	if d < time.Second {
		d = time.Second
	}
	return d.Truncate(time.Second)
}

// dequeue takes w off the queue; s.mu is held.
func (s *Server) dequeue(w *waiter) {
	if i := slices.Index(s.waiters, w); w != nil && i >= 0 {
		s.waiters = slices.Delete(s.waiters, i, i+1)
		s.wake() // the requests behind it move up
	}
}

// expiry returns the expiry of a lease of length from now: whole
// seconds, no later than the grant's.
func (s *Server) expiry(now time.Time, length time.Duration) time.Time {
	exp := now.Truncate(time.Second).Add(length)
	if exp.After(s.grant.Expiry) {
		exp = s.grant.Expiry
	}
	return exp
}

// license returns the lease's claims; seq is its record's index.
func (s *Server) license(product, id string, iat, exp time.Time, seq int64, borrowed bool, fp string) *token.License {
	rawID, _ := hex.DecodeString(id)
	meta := map[string]string{MetaSiteSeq: strconv.FormatInt(seq, 10)}
	if borrowed {
		meta[MetaLease] = "borrow"
	}
	return &token.License{Issuer: s.grant.Subject, Subject: s.subject, Audience: []string{product},
		IssuedAt: iat, Expiry: exp, ID: rawID, Tier: s.tier, Scopes: s.cfg.Scopes, Versions: s.grant.Versions,
		Limits: s.grant.Limits, Bind: map[string]string{machine.BindingKey: fp}, Meta: meta}
}

// sign signs the lease of record r on the caller's goroutine, checks it
// against the grant, and commits r with the token; the lease is durable
// when it returns. A lease that cannot be signed is given back.
func (s *Server) sign(le *lease, r Record) (*Lease, error) {
	iat := r.At.Truncate(time.Second)
	l := s.license(le.product, le.id, iat, r.Expires, r.Seq, le.borrowed, le.fingerprint)
	var text string
	var err error
	s.signing <- struct{}{}
	if v := verify.Violations(s.grant, l); len(v) > 0 {
		err = fmt.Errorf("seats: the lease would break the site grant: %s", strings.Join(v, "; "))
	} else if text, err = s.signer.SignText(l, ""); err != nil {
		err = fmt.Errorf("seats: signing the lease: %v", err)
	} else {
		r.Token = text
	}
	<-s.signing
	if r.Token == "" {
		// The record's place in the log must still be filled: the
		// seat is given back, the request refused.
		s.log.Error("a lease could not be signed", "err", err)
		s.mu.Lock()
		if r.Event != EventRenewed && s.leases[le.id] == le {
			delete(s.leases, le.id)
			if le.borrowed {
				s.borrowed--
			}
			s.wake()
		}
		s.mu.Unlock()
		r.Event, r.Reason, r.Expires = EventRefused, CodeInternal, time.Time{}
		s.com.CommitAsync(r)
		return nil, err
	}
	if err := s.com.Commit(r); err != nil {
		s.log.Error("writing the log", "err", err)
		return nil, refuse(http.StatusServiceUnavailable, CodeLogFailed, 0, "the lease could not be written to the log: %v", err)
	}
	s.mu.Lock()
	seats := s.seats()
	s.mu.Unlock()
	return &Lease{ID: le.id, Token: text, Expires: l.Expiry.UTC(), RenewAfter: iat.Add(l.Expiry.Sub(iat) / 3).UTC(), Borrowed: le.borrowed, Seats: seats}, nil
}

// CodeInternal is the reason of a refused record for a lease that could
// not be signed.
const CodeInternal = "internal"

// presented is a lease a client presents on renewal, signed by this
// site's key.
type presented struct {
	id  [token.IDSize]byte
	seq int64
}

// readPresented reads a presented lease: nil when it is not signed by
// this site key (nothing to learn from it), an error when it is not a
// license at all or names another lease.
func (s *Server) readPresented(text, id string) (*presented, error) {
	m, _, err := token.Decode([]byte(text))
	if err != nil || m.Header.Typ != token.TypeLicense {
		return nil, refuse(http.StatusBadRequest, CodeBadToken, 0, "token is not a licet lease")
	}
	if _, err := s.siteKeys.Signed(m); err != nil {
		return nil, nil // not signed by this site key: nothing to learn from it
	}
	l, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, refuse(http.StatusBadRequest, CodeBadToken, 0, "token: %v", err)
	}
	if hex.EncodeToString(l.ID) != id {
		return nil, refuse(http.StatusBadRequest, CodeBadToken, 0, "the token is lease %x, not %s", l.ID, id)
	}
	seq, err := strconv.ParseInt(l.Meta[MetaSiteSeq], 10, 64)
	if err != nil || seq < 0 {
		return nil, refuse(http.StatusBadRequest, CodeBadToken, 0, "the token has no site_seq")
	}
	return &presented{id: [token.IDSize]byte(l.ID), seq: seq}, nil
}

// Renew renews lease id for the machine of req: a new token, the same
// id, a new expiry.
func (s *Server) Renew(ctx context.Context, id string, req RenewRequest) (*Lease, error) {
	s.closing.RLock()
	defer s.closing.RUnlock()
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := checkFingerprint(req.Fingerprint); err != nil {
		return nil, err
	}
	var p *presented
	if req.Token != "" {
		var err error
		if p, err = s.readPresented(req.Token, id); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	now, err := s.now()
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	expired := s.sweep(now)
	var safe []Record
	if p != nil && p.seq < int64(len(s.leaseAt)) && s.leaseAt[p.seq] != p.id || p != nil && p.seq >= int64(len(s.leaseAt)) {
		why := fmt.Sprintf("a client presented lease %s of record %d, which the log (%d records) does not hold: the server's state was rolled back", id, p.seq, len(s.leaseAt))
		s.log.Warn("rolled-back state: safe mode, no new leases for one longest lease", "reason", why)
		safe = append(safe, s.enterSafe(now, why))
	}
	le := s.leases[id]
	var r Record
	switch {
	case len(safe) > 0 && le == nil:
		err = refuse(http.StatusServiceUnavailable, CodeStateUnverified, s.safeUntil.Sub(now),
			"the server's state was rolled back (lease %s is not in its log): no leases until %s", id, s.safeUntil.UTC().Format(time.RFC3339))
	case le == nil:
		err = refuse(http.StatusGone, CodeLeaseGone, 0, "lease %s is not held (expired, released or unknown): acquire a new one", id)
	case le.fingerprint != req.Fingerprint:
		err = refuse(http.StatusForbidden, CodeWrongMachine, 0, "lease %s is held by another machine", id)
	default:
		exp := s.expiry(now, le.length)
		if exp.After(le.expires) {
			le.expires = exp
			s.due(le)
		}
		r = s.record(now, EventRenewed, le)
		r.Expires = exp
	}
	s.mu.Unlock()
	s.commitAll(expired)
	for _, rec := range safe {
		if cerr := s.com.Commit(rec); cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, err
	}
	return s.sign(le, r)
}

// Release ends lease id for the machine of req (returns a borrowed
// seat); releasing a lease not held does nothing.
func (s *Server) Release(ctx context.Context, id string, req ReleaseRequest) error {
	s.closing.RLock()
	defer s.closing.RUnlock()
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkFingerprint(req.Fingerprint); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return refuse(http.StatusServiceUnavailable, "shutting_down", time.Second, "the server is shutting down")
	}
	now := s.cfg.Clock()
	expired := s.sweep(now)
	le := s.leases[id]
	var r Record
	var err error
	switch {
	case le == nil:
	case le.fingerprint != req.Fingerprint:
		err = refuse(http.StatusForbidden, CodeWrongMachine, 0, "lease %s is held by another machine", id)
	default:
		delete(s.leases, id)
		event := EventReleased
		if le.borrowed {
			s.borrowed--
			event = EventReturned
		}
		r = s.record(now, event, le)
		s.wake()
	}
	s.mu.Unlock()
	s.commitAll(expired)
	if err != nil || r.Event == "" {
		return err
	}
	return s.com.Commit(r)
}

// Status returns the server's state.
func (s *Server) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Clock()
	st := Status{Seats: s.seats(), BorrowsTotal: uint64(s.site.Borrows), Queue: uint64(len(s.waiters)),
		LeaseMax: int64(s.site.MaxLease() / time.Second), Grant: hex.EncodeToString(s.grant.ID), LogSize: uint64(len(s.leaseAt))}
	if now.Before(s.safeUntil) {
		u := s.safeUntil.UTC()
		st.SafeUntil = &u
	}
	return st
}

// Leases returns the outstanding leases, soonest expiry first.
func (s *Server) Leases() []Outstanding {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Outstanding, 0, len(s.leases))
	for _, le := range s.leases {
		out = append(out, Outstanding{ID: le.id, Ref: LeaseRef(le.id), Product: le.product, Client: le.client, Fingerprint: le.fingerprint,
			Expires: le.expires.UTC(), Borrowed: le.borrowed})
	}
	slices.SortFunc(out, func(a, b Outstanding) int {
		if c := a.Expires.Compare(b.Expires); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// Origin returns the origin of the site log's checkpoints.
func (s *Server) Origin() string { return s.origin }

// PublicKey returns the site key's public key.
func (s *Server) PublicKey() ed25519.PublicKey { return s.pub }

// LeaseRef names lease id in lists anyone on the network may read
// (GET /v1/leases): the first 16 hex digits of SHA-256("licet lease ref"
// 0x00 id). A lease id is a capability (with it and the machine's
// fingerprint, a lease is renewed or released); its ref is not. The
// holder finds its own lease's ref with LeaseRef.
func LeaseRef(id string) string {
	h := sha256.Sum256([]byte("licet lease ref\x00" + id))
	return hex.EncodeToString(h[:8])
}
