// Package leaseapi declares the messages of the HTTP API of a site lease
// server, in JSON: package seats serves them, package internal/seatclient
// (and through it package sdk) sends and reads them. It imports no HTTP
// package, so that declaring them once links no HTTP stack anywhere.
package leaseapi

import "time"

// LeaseRequest is what a client asks for: POST /v1/leases.
type LeaseRequest struct {
	// Product is the product id the lease is for.
	Product string `json:"product"`
	// Fingerprint is the machine's fingerprint for the product
	// (machine.Machine.Fingerprint): the lease is bound to it.
	Fingerprint string `json:"fingerprint"`
	// Client is free text the server logs (a user or host name); optional.
	Client string `json:"client,omitempty"`
	// Borrow, when not zero, asks for a borrowed seat for this long, in
	// seconds: a long lease for a machine leaving the network.
	Borrow int64 `json:"borrow,omitempty"`
	// Wait, when not zero, asks the server to queue the request up to
	// this many seconds when every seat is taken.
	Wait int64 `json:"wait,omitempty"`
}

// SeatCount is how the seats of a lease server are used.
type SeatCount struct {
	Total    uint64 `json:"total"`
	InUse    uint64 `json:"in_use"`
	Borrowed uint64 `json:"borrowed"`
}

// Lease is a lease server's answer to an acquisition or a renewal.
type Lease struct {
	// ID is the lease id, 32 hex digits: the cti of the lease token.
	ID string `json:"lease_id"`
	// Token is the lease, a license in licet's text form.
	Token string `json:"token"`
	// Expires is when the lease ends (its exp).
	Expires time.Time `json:"expires"`
	// RenewAfter is when the server suggests renewing it.
	RenewAfter time.Time `json:"renew_after"`
	// Borrowed reports a borrowed seat.
	Borrowed bool `json:"borrowed"`
	// Seats is the server's count after this lease.
	Seats SeatCount `json:"seats"`
}

// Status is a lease server's state: GET /v1/status.
type Status struct {
	Seats        SeatCount  `json:"seats"`
	BorrowsTotal uint64     `json:"borrows_total"`
	Queue        uint64     `json:"queue"`
	SafeUntil    *time.Time `json:"safe_until,omitempty"`
	LeaseMax     int64      `json:"lease_max"`
	Grant        string     `json:"grant"`
	LogSize      uint64     `json:"log_size"`
}

// RenewRequest renews a lease: POST /v1/leases/ID/renew.
type RenewRequest struct {
	Fingerprint string `json:"fingerprint"`
	// Token is the client's current lease, optional: the server checks
	// it against its log (a lease from beyond the log means the server's
	// state was rolled back).
	Token string `json:"token,omitempty"`
}

// ReleaseRequest releases a lease: DELETE /v1/leases/ID.
type ReleaseRequest struct {
	Fingerprint string `json:"fingerprint"`
}
