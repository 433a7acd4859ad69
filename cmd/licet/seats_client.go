package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/licet/licet/internal/seatclient"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
)

// maxLeaseFileSize bounds what is read of a lease file: a license with its
// grant, far below this.
const maxLeaseFileSize = 64 << 10

// maxCertFileSize bounds a --ca-cert file: a few certificates.
const maxCertFileSize = 1 << 20

// The client side of floating seats in the seats group (seats.go):
// checkout, borrow, return and status.
func init() {
	seatsSubcommands = append(seatsSubcommands,
		func(a *app) *cobra.Command { return newSeatsTakeCmd(a, false) },
		func(a *app) *cobra.Command { return newSeatsTakeCmd(a, true) },
		newSeatsReturnCmd, newSeatsStatusCmd)
}

// seatsFlags are the flags every seats client command takes.
type seatsFlags struct {
	server, caCert string
	timeout        time.Duration
	asJSON         bool
}

func (f *seatsFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "the lease server's base `URL` (required): http://seats.lan:7070")
	fl.StringVar(&f.caCert, "ca-cert", "", "trust the TLS certificates of `FILE` (PEM: the site's CA or the server's own) instead of the system's")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up on the server after this `DURATION`")
	_ = cmd.MarkFlagFilename("ca-cert", "pem", "crt")
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON object")
}

// client checks the flags and returns a client for the server.
func (f *seatsFlags) client(cmd *cobra.Command) (*seatclient.Client, context.Context, context.CancelFunc, error) {
	hint := fmt.Sprintf("see '%s --help'", cmd.CommandPath())
	if f.server == "" {
		return nil, nil, nil, usageError(hint, "--server is required: the lease server's base URL, such as http://seats.lan:7070")
	}
	if _, err := seatclient.CheckServerURL(f.server); err != nil {
		return nil, nil, nil, usageError(hint, "--server: %v", err)
	}
	if f.timeout <= 0 {
		return nil, nil, nil, usageError(hint, "--timeout must be positive")
	}
	var roots []byte
	if f.caCert != "" {
		data, err := readFile(f.caCert, "a PEM certificate file", maxCertFileSize)
		if err != nil {
			return nil, nil, nil, err
		}
		roots = data
	}
	hc, err := seatclient.HTTPClient(roots, f.timeout)
	if err != nil {
		return nil, nil, nil, ioError(fmt.Errorf("--ca-cert %s: %s", f.caCert, strings.TrimPrefix(err.Error(), "seatclient: ")), "give the PEM certificate of the site's CA, or of the lease server itself")
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	return &seatclient.Client{Server: f.server, HTTPClient: hc}, ctx, cancel, nil
}

// seatError turns a failed request into the command's error, with a hint
// that says what to do.
func seatError(err error) error {
	var se *seatclient.Error
	if !errors.As(err, &se) {
		return failure(err, "")
	}
	msg := strings.TrimPrefix(se.Error(), "seatclient: ")
	switch se.Code {
	case seatclient.CodeLeaseUnavailable:
		if strings.Contains(msg, "certificate") {
			return ioError(errors.New(msg), "give the certificate of the site's CA (or of the lease server) with --ca-cert FILE")
		}
		return ioError(errors.New(msg), "check --server: the lease server's address and port, and that it runs ('licet seats serve')")
	case seatclient.CodeSeatsFull:
		return failure(errors.New(msg), "every seat is taken: try again later, or ask the site to return a borrowed seat")
	case seatclient.CodeBorrowsFull:
		return failure(errors.New(msg), "the most seats that may be borrowed at once are out: return one, or take a plain lease")
	case seatclient.CodeBorrowNotAllowed, seatclient.CodeBorrowTooLong:
		return failure(errors.New(msg), "see the site grant's borrow limits in 'licet seats status'")
	case seatclient.CodeStateUnverified:
		return failure(errors.New(msg), "the server restarts in safe mode after its state was lost or rolled back; try again after Retry-After")
	}
	return failure(errors.New(msg), "")
}

// checkoutJSON is the output of checkout and borrow --json.
type checkoutJSON struct {
	LeaseID  string               `json:"lease_id"`
	Product  string               `json:"product"`
	File     string               `json:"file"`
	Expires  string               `json:"expires"`
	Borrowed bool                 `json:"borrowed"`
	Seats    seatclient.SeatCount `json:"seats"`
}

func newSeatsTakeCmd(a *app, borrow bool) *cobra.Command {
	var (
		f              seatsFlags
		product, out   string
		client, length string
		force          bool
	)
	cmd := &cobra.Command{
		Use:   "checkout --server URL --product ID -o FILE [--client NAME] [--force] [--json]",
		Short: "Take a lease of one seat for this machine and save it as a license file",
		Long: `Take a lease of one floating seat from the site's lease server, bound to
this machine, and write it to -o FILE (mode 0600, never overwritten without
--force). The lease is a license: point the product at the file (its
license path, or its license variable) and it runs until the lease
expires; 'licet seats return FILE' gives the seat back early. A product
that leases seats itself does not need this; it is for checking a lease
by hand. The machine's fingerprint is the one 'licet activate request'
uses (set LICET_MACHINE_ID the same way as for the product).`,
		Example: `  licet seats checkout --server http://seats.lan:7070 --product widget -o widget.lease
  licet verify widget.lease --pub vendor.pub --product widget --bind-machine`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.seatsTake(cmd, &f, product, out, client, length, force, borrow)
		}),
	}
	if borrow {
		cmd.Use = "borrow --server URL --product ID --for DURATION -o FILE [--client NAME] [--force] [--json]"
		cmd.Short = "Borrow a seat for a machine leaving the network"
		cmd.Long = `Borrow one floating seat for a machine that leaves the site's network (a
laptop on a trip): a long lease, within the site grant's borrow limits,
bound to this machine, written to -o FILE (mode 0600, never overwritten
without --force). It counts as a seat on the server until it expires or is
returned ('licet seats return FILE', back on the network). Point the
product at the file (its license path or variable): it verifies offline,
with the vendor's public key alone.`
		cmd.Example = `  licet seats borrow --server http://seats.lan:7070 --product widget --for 7d -o ~/.config/widget/license.lic
  licet seats return ~/.config/widget/license.lic --server http://seats.lan:7070`
		cmd.Flags().StringVar(&length, "for", "", "borrow for this `DURATION` (required): 3d, 36h")
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&product, "product", "", "the product `ID` to lease a seat of (required)")
	fl.StringVarP(&out, "output", "o", "", "write the lease to `FILE` (required)")
	fl.StringVar(&client, "client", "", "a `NAME` for the server's log (default: the host name)")
	fl.BoolVar(&force, "force", false, "overwrite the -o file")
	_ = cmd.MarkFlagFilename("output")
	return cmd
}

func (a *app) seatsTake(cmd *cobra.Command, f *seatsFlags, product, out, client, length string, force, borrow bool) error {
	hint := fmt.Sprintf("see '%s --help'", cmd.CommandPath())
	if p := checkProduct("product", product); len(p) > 0 {
		return usageError(hint, "%s", p[0])
	}
	if out == "" || out == "-" {
		return usageError(hint, "-o FILE is required: the lease is written to a file (mode 0600) the product reads")
	}
	var borrowFor time.Duration
	if borrow {
		if length == "" {
			return usageError(hint, "--for is required: how long to borrow the seat (3d, 36h)")
		}
		d, err := parseDuration(length)
		if err != nil || d < time.Second {
			return usageError(hint, "--for: %q is not a DURATION of at least a second (3d, 36h)", length)
		}
		borrowFor = d.Truncate(time.Second)
	}
	if !force {
		if _, err := os.Lstat(out); err == nil {
			return ioError(fmt.Errorf("%s already exists; not overwriting it", out), "choose another file name, or pass --force to replace it")
		}
	}
	c, ctx, cancel, err := f.client(cmd)
	if err != nil {
		return err
	}
	defer cancel()
	fp, err := a.thisMachine().Fingerprint(product)
	if err != nil {
		return ioError(fmt.Errorf("this machine: %s", strings.TrimPrefix(err.Error(), "machine: ")),
			fmt.Sprintf("set %s to a stable id for this machine", machine.IDEnv))
	}
	if client == "" {
		client, _ = os.Hostname()
	}
	lease, err := c.Acquire(ctx, seatclient.LeaseRequest{Product: product, Fingerprint: fp, Client: client, Borrow: int64(borrowFor / time.Second)})
	if err != nil {
		return seatError(err)
	}
	claims, err := leaseClaims([]byte(lease.Token))
	if err != nil {
		a.release(c, lease.ID, fp)
		return failure(fmt.Errorf("the server's lease: %v", err), "")
	}
	if hex.EncodeToString(claims.ID) != lease.ID || claims.Bind[machine.BindingKey] != fp {
		a.release(c, lease.ID, fp)
		return failure(fmt.Errorf("the server's lease is not lease %s for this machine", lease.ID), "")
	}
	if err := writeNew(out, []byte(lease.Token+"\n"), 0o600, force); err != nil {
		a.release(c, lease.ID, fp)
		return err
	}
	what := "checked out"
	if lease.Borrowed {
		what = "borrowed"
	}
	exp := rfc3339(claims.Expiry)
	if f.asJSON {
		return writeJSON(a.stdout, checkoutJSON{LeaseID: lease.ID, Product: product, File: out, Expires: exp, Borrowed: lease.Borrowed, Seats: lease.Seats})
	}
	fmt.Fprintf(a.stdout, "%s lease %s of %s until %s (%d of %d seats in use); wrote %s\n",
		what, lease.ID, product, exp, lease.Seats.InUse, lease.Seats.Total, out)
	fmt.Fprintf(a.stderr, "licet: give the seat back with: licet seats return %s --server %s\n", out, f.server)
	return nil
}

// release gives back a lease the command could not deliver.
func (a *app) release(c *seatclient.Client, id, fp string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Release(ctx, id, fp); err != nil {
		a.warn("could not give lease %s back: %v; its seat comes back when it expires", id, err)
	}
}

// leaseClaims reads a lease's claims, unverified: its id, binding and
// expiry say which lease to return, not whether it is valid.
func leaseClaims(data []byte) (*token.License, error) {
	m, _, err := token.Decode(data)
	if err != nil {
		return nil, err
	}
	if m.Header.Typ != token.TypeLicense {
		return nil, fmt.Errorf("not a license (type %q)", m.Header.Typ)
	}
	l, err := token.DecodeLicense(m.Payload)
	if err != nil {
		return nil, err
	}
	if len(l.ID) != token.IDSize || l.Bind[machine.BindingKey] == "" || l.Expiry.IsZero() {
		return nil, errors.New("not a lease: a lease has a lease id, a machine binding and an expiry")
	}
	return l, nil
}

// returnJSON is the output of return --json.
type returnJSON struct {
	LeaseID  string `json:"lease_id"`
	File     string `json:"file"`
	Released bool   `json:"released"`
}

func newSeatsReturnCmd(a *app) *cobra.Command {
	var f seatsFlags
	var product string
	cmd := &cobra.Command{
		Use:   "return FILE --server URL [--product ID] [--json]",
		Short: "Give a checked-out or borrowed seat back and remove its lease file",
		Long: `Give the seat of a lease file (from 'licet seats checkout' or 'borrow')
back to the lease server, from the machine it is bound to, and remove the
file. Returning a lease twice is harmless; the file is removed only once
the server has taken the seat back. --product, when given, must be the
lease's product (the default is the lease's first).`,
		Example: `  licet seats return widget.lease --server http://seats.lan:7070`,
		Args:    cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.seatsReturn(cmd, &f, args[0], product)
		}),
	}
	f.add(cmd)
	cmd.Flags().StringVar(&product, "product", "", "the lease's product `ID` (checked)")
	return cmd
}

func (a *app) seatsReturn(cmd *cobra.Command, f *seatsFlags, path, product string) error {
	data, err := readFile(path, "a lease", maxLeaseFileSize)
	if err != nil {
		return err
	}
	claims, err := leaseClaims(data)
	if err != nil {
		return failure(fmt.Errorf("%s: %v", path, err), "give the file 'licet seats checkout' or 'borrow' wrote")
	}
	if product == "" {
		product = claims.Audience[0]
	} else if !slices.Contains(claims.Audience, product) {
		return failure(fmt.Errorf("%s is a lease of %s, not of %s", path, strings.Join(claims.Audience, ", "), product), "")
	}
	c, ctx, cancel, err := f.client(cmd)
	if err != nil {
		return err
	}
	defer cancel()
	fp, err := a.thisMachine().Fingerprint(product)
	if err != nil {
		return ioError(fmt.Errorf("this machine: %s", strings.TrimPrefix(err.Error(), "machine: ")),
			fmt.Sprintf("set %s as when the lease was taken", machine.IDEnv))
	}
	if claims.Bind[machine.BindingKey] != fp {
		return failure(fmt.Errorf("%s is bound to another machine, not this one", path),
			fmt.Sprintf("return it from the machine that took it (with the same %s)", machine.IDEnv))
	}
	id := hex.EncodeToString(claims.ID)
	if err := c.Release(ctx, id, fp); err != nil {
		return seatError(err)
	}
	if err := os.Remove(path); err != nil {
		return ioError(fmt.Errorf("the seat is back, but %s could not be removed: %v", path, err), "")
	}
	if f.asJSON {
		return writeJSON(a.stdout, returnJSON{LeaseID: id, File: path, Released: true})
	}
	fmt.Fprintf(a.stdout, "returned lease %s of %s; removed %s\n", id, product, path)
	return nil
}

func newSeatsStatusCmd(a *app) *cobra.Command {
	var f seatsFlags
	cmd := &cobra.Command{
		Use:   "status --server URL [--json]",
		Short: "Show how many of a lease server's seats are in use",
		Long: `Show a lease server's seats: in use (borrowed ones included), borrowed,
the requests waiting, the longest lease, the site grant, the size of its
usage log, and whether it is in safe mode (its state was lost or rolled
back: no new leases until the time shown).`,
		Example: `  licet seats status --server http://seats.lan:7070
  licet seats status --server http://seats.lan:7070 --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			c, ctx, cancel, err := f.client(cmd)
			if err != nil {
				return err
			}
			defer cancel()
			st, err := c.Status(ctx)
			if err != nil {
				return seatError(err)
			}
			if f.asJSON {
				return writeJSON(a.stdout, st)
			}
			fl := newFields(a.stdout, "")
			fl.add("server", f.server)
			fl.add("seats", fmt.Sprintf("%d of %d in use (%d borrowed)", st.Seats.InUse, st.Seats.Total, st.Seats.Borrowed))
			fl.add("waiting", fmt.Sprint(st.Queue))
			fl.add("longest lease", formatDuration(time.Duration(st.LeaseMax)*time.Second))
			fl.add("grant", st.Grant)
			fl.add("log size", fmt.Sprint(st.LogSize))
			if st.SafeUntil != nil {
				fl.add("safe mode until", rfc3339(*st.SafeUntil))
			}
			fl.flush()
			return nil
		}),
	}
	f.add(cmd)
	return cmd
}
