// Command partner-app is a small licensed HTTP service, the example of
// embedding licet in a product with package sdk.
//
// It serves:
//
//	GET /healthz        always, no license needed
//	GET /license        what the license in effect says (JSON)
//	GET /api/hello      free: scope api:read
//	GET /api/reports    pro: tier pro or above, scope reports:read
//	GET /admin/stats    admin: scope admin:stats
//
// The requests the license allows on /api and /admin are rate limited by
// the license's "rpm" limit. A refused request gets 403 (or 429) with an RFC 9457
// problem+json body naming the code and, for a missing scope, the scope.
//
// The license is looked for in -license, then $PARTNER_APP_LICENSE (a
// license or a path), then os.UserConfigDir()/partner-app/license.lic. It
// is re-read when it changes: install or renew a license without a
// restart. The service starts without a license too, and then refuses the
// gated endpoints until one is installed.
//
// The embedded trusted key is the licet sandbox key (issuer
// "licet-sandbox"), whose private seed is public: a real product embeds
// its vendor's public key instead.
//
//	partner-app -addr 127.0.0.1:8080 -license ./license.lic -state ./state.json
//
// On a site with floating seats (`licet seats serve`), -lease-server (or
// $PARTNER_APP_LEASE_SERVER) runs it on a lease of one seat instead: the
// service takes a seat at start, renews it in the background, keeps it
// while the lease server is unreachable until the lease expires, and gives
// it back when it stops. -lease-file keeps the last lease across a
// restart.
//
//	partner-app -lease-server http://seats.lan:7070 -lease-file ./lease.lic
//
// To try it with a key of your own, trust its public key with -trust
// (instead of the embedded key) and drop a license into ./license.lic
// while the service runs:
//
//	licet keys new --issuer acme
//	partner-app -trust acme.pub -license license.lic &
//	licet mint --key acme.key --sub me --aud partner-app --tier pro \
//	    --scope api:read --scope reports:read --days 30 -o license.lic
//	curl localhost:8080/api/reports
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/licet/licet/sdk"
)

//go:embed sandbox.pub
var vendorKey []byte

const (
	product = "partner-app"
	version = "1.4.0"
	issuer  = "licet-sandbox"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen `address`")
	licensePath := flag.String("license", "", "license `file`")
	revocations := flag.String("revocations", "", "revocation list `file`")
	statePath := flag.String("state", "", "state `file` for offline clock safety")
	poll := flag.Duration("poll", sdk.DefaultPollInterval, "how often to look for a new license")
	trust := flag.String("trust", "", "trust the public key `file` instead of the embedded key (demos)")
	leaseServer := flag.String("lease-server", os.Getenv("PARTNER_APP_LEASE_SERVER"), "run on a floating seat of the lease server at `URL`")
	leaseFile := flag.String("lease-file", "", "keep the last lease in `file` (with -lease-server)")
	flag.Parse()

	cfg := appConfig(vendorKey, issuer)
	if *trust != "" {
		pub, err := os.ReadFile(*trust)
		if err != nil {
			log.Fatal(err)
		}
		cfg = appConfig(pub, "") // the issuer is the one the key signs as
	}
	cfg.LicensePath = *licensePath
	cfg.RevocationsPath = *revocations
	cfg.StatePath = *statePath
	cfg.LeaseServer = *leaseServer
	cfg.LeasePath = *leaseFile
	if host, err := os.Hostname(); err == nil {
		cfg.LeaseClient = host
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	logger := log.New(os.Stderr, "partner-app: ", log.LstdFlags)
	if err := run(ctx, cfg, *poll, ln, logger); err != nil {
		logger.Fatal(err)
	}
}

// appConfig is the product's licensing configuration: who it trusts and
// who it is. The places to look and the clock are added by main (flags)
// or by tests.
func appConfig(trustedKeys []byte, issuer string) sdk.Config {
	return sdk.Config{
		TrustedKeys:    trustedKeys,
		Issuer:         issuer,
		Product:        product,
		ProductVersion: version,
		Tiers:          []string{"free", "pro", "enterprise"},
	}
}

// run loads the license, keeps it fresh (polling every poll) and serves
// on ln until ctx is done.
func run(ctx context.Context, cfg sdk.Config, poll time.Duration, ln net.Listener, logger *log.Logger) error {
	lic, err := sdk.Load(cfg)
	if lic == nil {
		return err // the configuration itself is broken
	}
	if err != nil {
		logger.Printf("unlicensed until a license is installed: %v", err)
	}
	// On a floating seat, give it back when the service stops.
	defer func() {
		release, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := lic.Close(release); err != nil {
			logger.Printf("licensing: %v", err)
		}
	}()
	w, err := lic.Watch(ctx, sdk.WatchOptions{
		Interval: poll,
		OnChange: func(st sdk.Status) { logger.Printf("license for %s (%s) in effect", st.Subject, st.Tier) },
		OnExpiring: func(st sdk.Status, left time.Duration) {
			logger.Printf("license expires in %s: renew it", left.Round(time.Hour))
		},
		OnGrace:   func(st sdk.Status) { logger.Printf("license expired at %s, in grace: renew it now", st.Expiry) },
		OnExpired: func(st sdk.Status) { logger.Printf("license expired: gated endpoints refused") },
		OnError:   func(err error) { logger.Printf("licensing: %v", err) },
	})
	if err != nil {
		return err
	}
	defer w.Close()

	srv := &http.Server{Handler: newHandler(lic), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler is the service: its endpoints, gated by the license.
func newHandler(lic *sdk.License) http.Handler {
	limit := lic.RateLimit()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /license", func(w http.ResponseWriter, r *http.Request) { writeStatus(w, lic) })
	// License checks first: only requests the license allows count
	// against its rate limit.
	mux.Handle("GET /api/hello", lic.Require("api:read")(limit(http.HandlerFunc(hello))))
	mux.Handle("GET /api/reports", lic.RequireTier("pro")(lic.Require("reports:read")(limit(http.HandlerFunc(reports)))))
	mux.Handle("GET /admin/stats", lic.Require("admin:stats")(limit(http.HandlerFunc(stats(lic)))))
	return mux
}

func hello(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"message": "hello from " + product})
}

func reports(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"report": "monthly", "rows": 42})
}

func stats(lic *sdk.License) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		seats, _ := lic.Limit("seats")
		writeJSON(w, map[string]any{"seats": seats, "white_label": lic.HasRight("white-label")})
	}
}

// licenseStatus is the body of GET /license. It leaves out the
// warnings, which name files on the server: those go to the log.
type licenseStatus struct {
	Licensed bool      `json:"licensed"`
	Code     string    `json:"code,omitempty"`
	Subject  string    `json:"subject,omitempty"`
	Tier     string    `json:"tier,omitempty"`
	Expiry   time.Time `json:"expiry,omitzero"`
	InGrace  bool      `json:"in_grace"`
}

func writeStatus(w http.ResponseWriter, lic *sdk.License) {
	st := lic.Status()
	writeJSON(w, licenseStatus{
		Licensed: st.Licensed, Code: st.Code, Subject: st.Subject, Tier: st.Tier,
		Expiry: st.Expiry, InGrace: st.InGrace,
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
