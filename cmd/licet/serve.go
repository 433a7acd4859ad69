package main

import (
	"cmp"
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/server"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	key, ledger, policy, listen string
	tlsCert, tlsKey, logFormat  string
	evidenceDir                 string
	insecure                    bool
	maxBody                     int64
	rate                        float64
	burst                       int
	drain                       time.Duration
}

// credentialName is the file in systemd's $CREDENTIALS_DIRECTORY that
// holds the key's passphrase (LoadCredential=passphrase:...).
const credentialName = "passphrase"

func newServeCmd(a *app) *cobra.Command {
	fl := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve --key FILE [--ledger LOCATION] [--policy FILE] [--listen ADDR] [flags]",
		Short: "Run the issuance API (HTTP, JSON) for a CRM or billing system",
		Long: `Run the issuance server: a JSON API under /v1 over the same issuing path and
ledger as mint, renew, grant and revoke, for a CRM or billing system:

  POST /v1/licenses               mint (template + overrides + order)
  GET  /v1/licenses               list (filters, cursor pages)
  GET  /v1/licenses/{id}          state and the token in each form
  POST /v1/licenses/{id}/renew    renew
  POST /v1/licenses/{id}/revoke   revoke
  POST /v1/activations            an activation request in, a bound license out
  POST /v1/reports                a partner's royalty report in, the verdict out
  GET  /v1/statements             the royalty statement of a period
  GET  /v1/revocations            the current signed list (public, ETag)
  GET  /v1/expiring               licenses expiring soon
  POST /v1/grants                 a partner grant
  GET|POST /v1/webhooks/subscriptions, DELETE .../{id}
                                  webhook subscriptions (admin)
  GET  /v1/openapi.json           the OpenAPI 3.1 document

and /healthz, /readyz and /metrics (Prometheus). Every call but the
revocation list and the document needs an API token ('licet serve token
create'); every change is recorded with its token ('licet serve audit').
Errors are application/problem+json with stable codes.

The key is unlocked once, at start: its passphrase comes from
--passphrase-file, else the file "passphrase" in systemd's
$CREDENTIALS_DIRECTORY (LoadCredential=passphrase:/etc/licet/passphrase),
else LICET_PASSPHRASE, else a prompt.

The server listens on localhost (127.0.0.1:8080) unless given a TLS
certificate and key (--tls-cert, --tls-key); plain HTTP on another address
needs --insecure-listen: tokens and licenses then cross the network in
clear text. SIGTERM or SIGINT stops it after the requests in flight.`,
		Example: `  licet serve token create --ledger acme.db --name crm --role mint
  licet serve --key acme.key --ledger acme.db --policy licet.toml --passphrase-file pass.txt
  licet serve --key acme.key --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.serve(fl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&fl.key, "key", "", "the private key `FILE` that signs (required)")
	f.StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	f.StringVar(&fl.policy, "policy", "", policyFlagUsage)
	f.StringVar(&fl.listen, "listen", "127.0.0.1:8080", "listen `ADDR` (host:port)")
	f.StringVar(&fl.tlsCert, "tls-cert", "", "serve TLS with the certificate `FILE` (PEM)")
	f.StringVar(&fl.tlsKey, "tls-key", "", "the TLS certificate's private key `FILE` (PEM)")
	f.BoolVar(&fl.insecure, "insecure-listen", false, "allow plain HTTP on a non-loopback address (tokens and licenses cross the network in clear text)")
	f.Int64Var(&fl.maxBody, "max-body", httpserve.DefaultMaxBody, "cap request bodies at `N` bytes")
	f.Float64Var(&fl.rate, "rate", 20, "requests per second per API token")
	f.IntVar(&fl.burst, "burst", 40, "burst of requests per API token")
	f.DurationVar(&fl.drain, "drain-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	f.StringVar(&fl.evidenceDir, "evidence-dir", "", "`DIR` to keep evidence of a partner's rewritten log in (default: beside the key)")
	f.StringVar(&fl.logFormat, "log-format", "text", "log `FORMAT` on stderr: text or json")
	addPassphraseFileFlag(cmd, a)
	_ = cmd.MarkFlagFilename("key", "key")
	cmd.AddCommand(newServeTokenCmd(a), newServeAuditCmd(a), newServeWebhooksCmd(a))
	return cmd
}

// serveLogger returns the server's logger on stderr.
func (a *app) serveLogger(format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(a.stderr, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.stderr, nil)), nil
	}
	return nil, usageError("", "--log-format %q: text or json", format)
}

func (a *app) serve(fl *serveFlags) error {
	log, err := a.serveLogger(fl.logFormat)
	if err != nil {
		return err
	}
	if fl.maxBody < 1 || fl.rate <= 0 || fl.burst < 1 {
		return usageError("", "--max-body, --rate and --burst must be positive")
	}
	tlsOn := fl.tlsCert != "" || fl.tlsKey != ""
	if err := httpserve.CheckListen(fl.listen, tlsOn, fl.insecure); err != nil {
		return usageError("", "%s", strings.TrimPrefix(err.Error(), "httpserve: "))
	}
	keyData, info, err := readKeyFile(fl.key)
	if err != nil {
		return err
	}
	var pol *policy.Policy
	if path := a.policyLocation(fl.policy, fl.key); fl.policy != "" || fileExists(path) {
		if pol, err = loadPolicy(path); err != nil {
			return err
		}
	}
	if a.passphraseFile == "" {
		if dir, ok := a.lookupEnv("CREDENTIALS_DIRECTORY"); ok && dir != "" && fileExists(filepath.Join(dir, credentialName)) {
			a.passphraseFile = filepath.Join(dir, credentialName)
		}
	}
	loc := a.ledgerLocation(fl.ledger, fl.key)
	led, err := a.openLedger(loc)
	if err != nil {
		return err
	}
	defer led.Close()
	store, err := server.OpenStore(context.Background(), loc)
	if err != nil {
		return ioError(err, ledgerHint)
	}
	defer store.Close()
	// The key is unlocked once, now; every signature goes through its
	// crypto.Signer.
	k, err := a.unlockKey(fl.key, keyData, info)
	if err != nil {
		return err
	}
	signer := k.Signer()
	is := &issue.Issuer{Name: info.Public.Issuer, PublicKey: info.Public.Key, Ledger: led, Now: a.now,
		Unlock: func() (crypto.Signer, error) { return signer, nil },
		Write: func(file string, data []byte, replace bool) error {
			if file != "" {
				return errors.New("the issuance server writes no files")
			}
			return nil
		}}
	if _, err := is.Signer(); err != nil {
		return failure(err, "")
	}
	evidence := cmp.Or(fl.evidenceDir, filepath.Dir(fl.key))
	api := server.New(server.Config{Issuer: is, Policy: pol, Store: store, Rate: fl.rate, Burst: fl.burst, EvidenceDir: evidence, Now: a.now, Logger: log})
	hs := httpserve.New(httpserve.Config{Addr: fl.listen, CertFile: fl.tlsCert, KeyFile: fl.tlsKey, InsecureListen: fl.insecure,
		MaxBody: fl.maxBody, DrainTimeout: fl.drain, Logger: log, Ready: api.Ready})
	api.Register(hs)
	defer api.Close()
	if err := serveStripe(hs, pol, a.policyLocation(fl.policy, fl.key), loc, is, log); err != nil { // POST /v1/stripe/webhook when licet.toml has [stripe]
		return err
	}
	ln, hooks, err := a.listenWithWebhooks(hs, led, pol, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer runWebhooks(ctx, hooks)() // drains the outbox with the requests
	log.Info("licet serve", "issuer", is.Name, "kid", fmt.Sprintf("%x", is.KeyID()), "ledger", sqldb.Redact(loc))
	if err := hs.Serve(ctx, ln); err != nil {
		return failure(errors.New(strings.TrimPrefix(err.Error(), "httpserve: ")), "")
	}
	return nil
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}
