// Package seatclient speaks the HTTP API of a site lease server (`licet
// seats serve`, issue 22): acquire, renew and release a lease of one
// floating seat, and read the server's status. Package sdk uses it for
// Config.LeaseServer (and re-exports its types); `licet seats
// checkout|borrow|return|status` use it directly, so that the licet binary
// does not link sdk. It does not verify leases: a lease is a license,
// which verify checks from the vendor key through the site grant.
package seatclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/licet/licet/internal/leaseapi"
)

// Codes of a site lease server's refusals ([Error].Code), as its HTTP API
// names them, and [CodeLeaseUnavailable] for a server that could not be
// reached or gave no answer of the API.
const (
	CodeSeatsFull        = "seats_full"         // 429: every seat is taken; Retry-After says when to ask again
	CodeBorrowsFull      = "borrows_full"       // 429: the most seats borrowed at once are out
	CodeBorrowNotAllowed = "borrow_not_allowed" // 403: the site grant allows no borrowing
	CodeBorrowTooLong    = "borrow_too_long"    // 400: a borrow longer than the site grant allows
	CodeLeaseGone        = "lease_gone"         // 410: the lease is unknown, expired or released: acquire anew
	CodeWrongMachine     = "wrong_machine"      // 403: the lease belongs to another fingerprint
	CodeWrongProduct     = "wrong_product"      // 403: the product is outside the site grant
	CodeStateUnverified  = "state_unverified"   // 503: the server's state cannot be trusted yet (safe mode)
	CodeLeaseUnavailable = "lease_unavailable"  // no answer of the lease API (unreachable, timeout, another server)
)

// maxSeatResponse bounds what is read of a lease server's answer: a lease
// is a license of a few hundred bytes, its grant included.
const maxSeatResponse = 256 << 10

// Client speaks the HTTP API of a site lease server. It holds no state
// between calls and is safe for concurrent use.
//
// It does not verify the leases it receives: a lease is a license, which
// sdk.Load (or verify) checks like any other, from the vendor key through
// the site grant to the machine binding.
type Client struct {
	// Server is the base URL of the lease server: "http://seats.lan:7070".
	Server string
	// HTTPClient sends the requests; nil means a client with a 30 s
	// timeout. Set its transport's TLS roots for a server with a private
	// certificate.
	HTTPClient *http.Client
}

// HTTPClient returns an HTTP client for a lease server with the given
// timeout that trusts, for TLS, the certificates of caPEM (PEM
// "CERTIFICATE" blocks: the site's own CA, or the server's self-signed
// certificate) instead of the system's roots; nil caPEM keeps the
// system's roots.
func HTTPClient(caPEM []byte, timeout time.Duration) (*http.Client, error) {
	c := &http.Client{Timeout: timeout}
	if caPEM == nil {
		return c, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("seatclient: no PEM CERTIFICATE block among the trusted certificates")
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	c.Transport = t
	return c, nil
}

// The messages of the lease API, declared once for the server (package
// seats) and its clients in package leaseapi.
type (
	// LeaseRequest is what a client asks for: POST /v1/leases.
	LeaseRequest = leaseapi.LeaseRequest
	// SeatCount is how the seats of a lease server are used.
	SeatCount = leaseapi.SeatCount
	// Lease is a lease server's answer to an acquisition or a renewal.
	Lease = leaseapi.Lease
	// Status is a lease server's GET /v1/status.
	Status = leaseapi.Status
)

// Error is a request to a lease server that failed: refused with a
// code ([CodeSeatsFull], [CodeLeaseGone], ...), or not answered at all
// (Status 0, Code [CodeLeaseUnavailable], Err the cause).
type Error struct {
	Server string // the server's base URL
	Op     string // "acquire", "borrow", "renew", "release" or "status"
	Status int    // the HTTP status, 0 when there was no answer
	Code   string // the problem code, CodeLeaseUnavailable when there was no answer of the API
	Detail string // the problem's detail, for people
	// RetryAfter is the server's Retry-After, 0 when it gave none.
	RetryAfter time.Duration
	Err        error // the cause when there was no answer
}

// Error says what failed, and why.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seatclient: lease server %s: %s: ", e.Server, e.Op)
	switch {
	case e.Status == 0 && e.Err != nil:
		fmt.Fprintf(&b, "no answer: %v", e.Err)
	case e.Err != nil:
		fmt.Fprintf(&b, "HTTP %d: %v", e.Status, e.Err)
	default:
		fmt.Fprintf(&b, "refused (%s, HTTP %d)", e.Code, e.Status)
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ValidLeaseID reports whether id has the form of a lease id: 32 lower
// case hex digits (a 16-byte cti).
func ValidLeaseID(id string) bool {
	if len(id) != 32 || strings.ToLower(id) != id {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// Acquire asks for a lease (or, with req.Borrow set, a borrowed seat).
func (c *Client) Acquire(ctx context.Context, req LeaseRequest) (*Lease, error) {
	op := "acquire"
	if req.Borrow != 0 {
		op = "borrow"
	}
	var l Lease
	if err := c.do(ctx, op, http.MethodPost, "/v1/leases", req, http.StatusCreated, &l); err != nil {
		return nil, err
	}
	return &l, c.checkLease(op, &l, "")
}

// Renew extends lease id: the same lease id, a new token with a new
// expiry. token, when not empty, is the client's current lease (the
// server uses it to notice a rolled-back state). A renewal repeated is
// harmless; a lease the server no longer knows is a *Error with
// [CodeLeaseGone].
func (c *Client) Renew(ctx context.Context, id, fingerprint, token string) (*Lease, error) {
	if !ValidLeaseID(id) {
		return nil, fmt.Errorf("seatclient: lease id %q is not 32 lower case hex digits", id)
	}
	body := leaseapi.RenewRequest{Fingerprint: fingerprint, Token: token}
	var l Lease
	if err := c.do(ctx, "renew", http.MethodPost, "/v1/leases/"+id+"/renew", body, http.StatusOK, &l); err != nil {
		return nil, err
	}
	return &l, c.checkLease("renew", &l, id)
}

// Release gives lease id back (returning a borrowed seat early). Releasing
// a lease twice is harmless.
func (c *Client) Release(ctx context.Context, id, fingerprint string) error {
	if !ValidLeaseID(id) {
		return fmt.Errorf("seatclient: lease id %q is not 32 lower case hex digits", id)
	}
	body := leaseapi.ReleaseRequest{Fingerprint: fingerprint}
	return c.do(ctx, "release", http.MethodDelete, "/v1/leases/"+id, body, http.StatusNoContent, nil)
}

// Status reads the server's seat count and state.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var st Status
	if err := c.do(ctx, "status", http.MethodGet, "/v1/status", nil, http.StatusOK, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// checkLease checks the form of a server's lease answer: a lease id (the
// one asked for, on a renewal) and a token.
func (c *Client) checkLease(op string, l *Lease, id string) error {
	switch {
	case !ValidLeaseID(l.ID):
		return c.bad(op, http.StatusOK, fmt.Errorf("lease id %q is not 32 lower case hex digits", l.ID))
	case id != "" && l.ID != id:
		return c.bad(op, http.StatusOK, fmt.Errorf("renewed lease %s, not %s", l.ID, id))
	case l.Token == "":
		return c.bad(op, http.StatusOK, errors.New("no token in the answer"))
	}
	return nil
}

func (c *Client) bad(op string, status int, err error) *Error {
	return &Error{Server: c.Server, Op: op, Status: status, Code: CodeLeaseUnavailable, Err: err}
}

// base returns the server URL, checked: http or https, with a host.
func (c *Client) base() (string, error) {
	return CheckServerURL(c.Server)
}

// CheckServerURL checks a lease server URL and returns it without a
// trailing slash.
func CheckServerURL(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", fmt.Errorf("lease server URL %q: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("lease server URL %q: the scheme must be http or https", s)
	case u.Host == "":
		return "", fmt.Errorf("lease server URL %q: no host", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("lease server URL %q: no query, fragment or user info", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// do sends one request and decodes the answer into out (when not nil).
func (c *Client) do(ctx context.Context, op, method, path string, in any, want int, out any) error {
	base, err := c.base()
	if err != nil {
		return fmt.Errorf("seatclient: %v", err)
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("seatclient: %s: %v", op, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return fmt.Errorf("seatclient: %s: %v", op, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &Error{Server: c.Server, Op: op, Code: CodeLeaseUnavailable, Err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxSeatResponse+1))
	if err != nil {
		return &Error{Server: c.Server, Op: op, Code: CodeLeaseUnavailable, Err: err}
	}
	if len(data) > maxSeatResponse {
		return c.bad(op, resp.StatusCode, fmt.Errorf("answer larger than %d bytes", maxSeatResponse))
	}
	if resp.StatusCode != want {
		return c.refusal(op, resp, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return c.bad(op, resp.StatusCode, fmt.Errorf("not an answer of the lease API: %v", err))
	}
	return nil
}

// refusal turns an answer with an unexpected status into a *Error,
// with the problem's code when the body is an RFC 9457 problem.
func (c *Client) refusal(op string, resp *http.Response, data []byte) *Error {
	e := &Error{Server: c.Server, Op: op, Status: resp.StatusCode}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if n, err := strconv.ParseUint(ra, 10, 32); err == nil {
			e.RetryAfter = time.Duration(n) * time.Second
		}
	}
	var p struct {
		Code   string `json:"code"`
		Detail string `json:"detail"`
		Title  string `json:"title"`
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if (mt == "application/problem+json" || mt == "application/json") && json.Unmarshal(data, &p) == nil && p.Code != "" {
		e.Code, e.Detail = p.Code, p.Detail
		if e.Detail == "" {
			e.Detail = p.Title
		}
		if e.Detail == e.Code {
			e.Detail = ""
		}
		return e
	}
	e.Code = CodeLeaseUnavailable
	e.Err = fmt.Errorf("not an answer of the lease API (%s)", http.StatusText(resp.StatusCode))
	return e
}
