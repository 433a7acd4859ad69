// Command embed is the README's "Embedding licet in your product" snippet,
// whole: it must stay identical to the Go block of sdk/README.md
// (TestREADMESnippet), so the snippet always compiles. vendor.pub, next to
// this file, stands in for your vendor's public key.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"

	"github.com/licet/licet/sdk"
)

//go:embed vendor.pub
var vendorKey []byte // your vendor's public key (PEM), next to this file

const version = "2.4.0" // your product's version

func main() {
	licensePath := flag.String("license", "", "license file (default: $MY_PRODUCT_LICENSE, then the config dir)")
	statePath := flag.String("state", "", "state file: catches a clock set back (optional)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	lic, err := sdk.Load(sdk.Config{
		TrustedKeys:    vendorKey,
		Issuer:         "licet-sandbox",
		Product:        "my-product",
		ProductVersion: version,
		Tiers:          []string{"free", "pro", "enterprise"},
		LicensePath:    *licensePath,
		StatePath:      *statePath,
	})
	if lic == nil {
		log.Fatal(err) // only a broken Config gets here
	}
	if err != nil {
		log.Printf("unlicensed until a license is installed: %v", err)
	}
	w, err := lic.Watch(ctx, sdk.WatchOptions{OnError: func(err error) { log.Print(err) }})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	if seats, ok := lic.Limit("seats"); ok {
		log.Printf("licensed for %d seats", seats)
	}

	limit := lic.RateLimit() // the license's "rpm" limit
	mux := http.NewServeMux()
	mux.Handle("GET /api/hello", lic.Require("api:read")(limit(http.HandlerFunc(hello))))
	mux.Handle("GET /api/reports", lic.RequireTier("pro")(lic.Require("reports:read")(limit(http.HandlerFunc(hello)))))
	srv := &http.Server{Addr: "localhost:8080", Handler: mux}
	go func() { <-ctx.Done(); srv.Close() }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}

func hello(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello, licensed user") }
