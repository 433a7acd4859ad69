package sdk

import (
	"errors"
	"net/http"

	"github.com/licet/licet/internal/seatclient"
)

// The lease server's API, from package internal/seatclient (shared with
// the licet command, which does not link sdk).
type (
	// SeatClient speaks the HTTP API of a site lease server (`licet seats
	// serve`): Acquire, Renew and Release a lease of one floating seat,
	// and read the server's Status. [Load] uses one when
	// Config.LeaseServer is set. It holds no state between calls, is safe
	// for concurrent use, and verifies nothing: a lease is a license,
	// which [Load] checks like any other.
	SeatClient = seatclient.Client
	// LeaseRequest is what a client asks a lease server for.
	LeaseRequest = seatclient.LeaseRequest
	// Lease is a lease server's answer to an acquisition or renewal.
	Lease = seatclient.Lease
	// SeatCount is how a lease server's seats are used.
	SeatCount = seatclient.SeatCount
	// SeatStatus is a lease server's status.
	SeatStatus = seatclient.Status
	// SeatError is a request to a lease server that was refused (Code
	// says why: [CodeSeatsFull], [CodeLeaseGone], ...) or not answered
	// (Code [CodeLeaseUnavailable]).
	SeatError = seatclient.Error
)

// Codes of a lease server's refusals ([SeatError].Code), and
// CodeLeaseUnavailable for a server that gave no answer of the API.
const (
	CodeSeatsFull        = seatclient.CodeSeatsFull        // every seat is taken; Retry-After says when to ask again
	CodeBorrowsFull      = seatclient.CodeBorrowsFull      // the most seats borrowed at once are out
	CodeBorrowNotAllowed = seatclient.CodeBorrowNotAllowed // the site grant allows no borrowing
	CodeBorrowTooLong    = seatclient.CodeBorrowTooLong    // a borrow longer than the site grant allows
	CodeLeaseGone        = seatclient.CodeLeaseGone        // the lease is unknown, expired or released
	CodeWrongMachine     = seatclient.CodeWrongMachine     // the lease belongs to another fingerprint
	CodeStateUnverified  = seatclient.CodeStateUnverified  // the server's state cannot be trusted yet
	CodeLeaseUnavailable = seatclient.CodeLeaseUnavailable // no answer of the lease API
)

// ValidLeaseID reports whether id has the form of a lease id: 32 lower
// case hex digits.
func ValidLeaseID(id string) bool { return seatclient.ValidLeaseID(id) }

// LeaseTLSClient returns an HTTP client for Config.LeaseHTTPClient that
// trusts, for a lease server on https, the certificates of caPEM (PEM
// "CERTIFICATE" blocks: the site's own CA, or the server's self-signed
// certificate) instead of the system's roots, with a 30 s timeout.
func LeaseTLSClient(caPEM []byte) (*http.Client, error) {
	if caPEM == nil {
		return nil, errors.New("sdk: LeaseTLSClient: no certificate given")
	}
	return seatclient.HTTPClient(caPEM, leaseRequestLimit)
}
