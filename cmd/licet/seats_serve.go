package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/seats"
	"github.com/spf13/cobra"
)

func init() { seatsSubcommands = append(seatsSubcommands, newSeatsServeCmd) }

type seatsServeFlags struct {
	key, grant, state, listen  string
	tlsCert, tlsKey, logFormat string
	tier, subject              string
	scopes                     []string
	insecure                   bool
	maxWait, drain             time.Duration
}

// maxGrantFile bounds a grant file.
const maxGrantFile = 64 << 10

func newSeatsServeCmd(a *app) *cobra.Command {
	fl := &seatsServeFlags{}
	cmd := &cobra.Command{
		Use:   "serve --key SITE_KEY --grant SITE_GRANT --state DIR [--listen ADDR] [flags]",
		Short: "Run the site's lease server (HTTP, JSON) for floating seats",
		Long: `Run the lease server of a site: it hands out leases of the site grant's
seats to the products on the site's network, never more than the grant's
seats at once, borrowed ones included:

  POST   /v1/leases             a lease (or a borrowed seat, or wait in the queue)
  POST   /v1/leases/{id}/renew  the same lease, a new expiry
  DELETE /v1/leases/{id}        release it (return a borrowed seat)
  GET    /v1/status             seats in use, queue, safe mode
  GET    /v1/leases             the outstanding leases

and /healthz, /readyz and /metrics (Prometheus). Errors are
application/problem+json with stable codes (seats_full with Retry-After,
lease_gone, wrong_machine, state_unverified...).

--key is the site's key ('licet keys new --issuer SITE'), --grant the site
grant the vendor signed for its public key. Every event goes to the site
log in --state DIR (mode 0700): records in a Merkle tree whose checkpoints
the site key signs, written in batches, each on disk before its answer. A
restart restores the outstanding leases. A state that was lost or rolled
back (the log or its signed head missing, the log behind its head, signed
by another key, or a client renewing a lease the log does not hold) stops
new leases for one longest lease; a clock behind the log stops the server.

The key is unlocked once, at start: its passphrase comes from
--passphrase-file, else the file "passphrase" in systemd's
$CREDENTIALS_DIRECTORY, else LICET_PASSPHRASE, else a prompt. The server
listens on localhost unless given a TLS certificate and key; plain HTTP on
the network needs --insecure-listen. SIGTERM or SIGINT stops it after the
requests in flight.`,
		Example: `  licet keys new --issuer hq-seats
  licet seats serve --key hq-seats.key --grant hq.grant --state /var/lib/licet-seats
  licet seats serve --key hq-seats.key --grant hq.grant --state seats-state \
      --listen 0.0.0.0:7443 --tls-cert cert.pem --tls-key key.pem --tier pro --scope 'export:*'`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.seatsServe(fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "the site's private key `FILE` (required)")
	f.StringVar(&fl.grant, "grant", "", "the site grant `FILE` from the vendor (required)")
	f.StringVar(&fl.state, "state", "", "the state `DIR`: the site log and its signed head (required)")
	f.StringVar(&fl.listen, "listen", "127.0.0.1:7070", "listen `ADDR` (host:port)")
	f.StringVar(&fl.tlsCert, "tls-cert", "", "serve TLS with the certificate `FILE` (PEM)")
	f.StringVar(&fl.tlsKey, "tls-key", "", "the TLS certificate's private key `FILE` (PEM)")
	f.BoolVar(&fl.insecure, "insecure-listen", false, "allow plain HTTP on a non-loopback address (leases cross the network in clear text)")
	f.StringVar(&fl.tier, "tier", "", "the `TIER` of every lease (default: the grant's first)")
	f.StringArrayVar(&fl.scopes, "scope", nil, "a `SCOPE` of every lease, within the grant's (repeatable)")
	f.StringVar(&fl.subject, "subject", "", "the licensee `ID` of every lease (default: the grant's partner id)")
	f.DurationVar(&fl.maxWait, "max-wait", seats.DefaultMaxWait, "the longest a request may queue for a seat")
	f.DurationVar(&fl.drain, "drain-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	f.StringVar(&fl.logFormat, "log-format", "text", "log `FORMAT` on stderr: text or json")
	addPassphraseFileFlag(cmd, a)
	_ = cmd.MarkFlagFilename("key", "key")
	_ = cmd.MarkFlagDirname("state")
	return cmd
}

func (a *app) seatsServe(fl *seatsServeFlags) error {
	log, err := a.serveLogger(fl.logFormat)
	if err != nil {
		return err
	}
	tlsOn := fl.tlsCert != "" || fl.tlsKey != ""
	if err := httpserve.CheckListen(fl.listen, tlsOn, fl.insecure); err != nil {
		return usageError("", "%s", strings.TrimPrefix(err.Error(), "httpserve: "))
	}
	switch {
	case fl.grant == "":
		return usageError("the vendor signs a site grant for the site key: licet grant --site-seats N ...", "--grant is required: the site grant file")
	case fl.state == "":
		return usageError("", "--state is required: the directory of the site log")
	case fl.maxWait < 0:
		return usageError("", "--max-wait must not be negative")
	}
	keyData, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	grant, err := readFile(fl.grant, "a site grant", maxGrantFile)
	if err != nil {
		return err
	}
	if a.passphraseFile == "" {
		if dir, ok := a.lookupEnv("CREDENTIALS_DIRECTORY"); ok && dir != "" && fileExists(filepath.Join(dir, credentialName)) {
			a.passphraseFile = filepath.Join(dir, credentialName)
		}
	}
	k, err := a.unlockKey(fl.key, keyData, info)
	if err != nil {
		return err
	}
	srv, err := seats.Open(seats.Config{Dir: fl.state, Key: k.Signer(), Grant: grant, Subject: fl.subject, Tier: fl.tier,
		Scopes: fl.scopes, Clock: a.now, Logger: log, MaxWait: fl.maxWait})
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "seats: ")), "")
	}
	defer srv.Close()
	hs := httpserve.New(httpserve.Config{Addr: fl.listen, CertFile: fl.tlsCert, KeyFile: fl.tlsKey, InsecureListen: fl.insecure,
		MaxBody: seats.MaxBody, DrainTimeout: fl.drain, Logger: log, Ready: srv.Ready})
	srv.Register(hs)
	ln, err := hs.Listen()
	if err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "httpserve: ")), "")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go srv.Run(ctx)
	log.Info("licet seats serve", "origin", srv.Origin(), "state", fl.state)
	if err := hs.Serve(ctx, ln); err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "httpserve: ")), "")
	}
	return nil
}
