package main

import (
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/web"
	"github.com/spf13/cobra"
)

type pageFlags struct {
	pubs    []string
	out     string
	product string
	force   bool
	asJSON  bool
}

// pageJSON is the output of page --json.
type pageJSON struct {
	File    string        `json:"file"`
	Bytes   int           `json:"bytes"`
	Product string        `json:"product"`
	Keys    []pageKeyJSON `json:"keys"`
}

type pageKeyJSON struct {
	KID    string `json:"kid"`
	Issuer string `json:"issuer"`
}

func newPageCmd(a *app) *cobra.Command {
	var fl pageFlags
	cmd := &cobra.Command{
		Use:   "page --pub FILE... [-o FILE] [--product ID] [--force] [--json]",
		Short: "Write the offline verification page with your public key embedded",
		Long: `Write verify.html: one self-contained HTML file that verifies licenses in a
browser, offline (it opens no network connection), with the same verdicts and
codes as 'licet verify'. The public keys given with --pub (and their issuers,
from the "# issuer:" line of the key file) are embedded: the page checks
licenses against them only, so you can hand customers this one file. Give
the old and the new key during a key rotation. --product fills in the
product id.

The file is written atomically (mode 0644: it holds public keys only) and an
existing file is never replaced without --force; -o - writes to stdout.

Exit codes: 0 written, 2 usage or I/O error (no --pub, a key file that is
not a public key, an existing output file).`,
		Example: `  licet page --pub acme.pub -o verify.html
  licet page --pub acme.pub --pub acme-2027.pub --product acme-db -o acme-verify.html --force
  licet page --pub acme.pub -o - > verify.html
  licet page --pub acme.pub -o verify.html --json`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: completeFiles,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.page(&fl)
		}),
	}
	f := cmd.Flags()
	f.StringArrayVar(&fl.pubs, "pub", nil, "vendor public key `FILE` to embed (PEM; repeatable)")
	f.StringVarP(&fl.out, "out", "o", "verify.html", "write the page to `FILE` (- for stdout)")
	f.StringVar(&fl.product, "product", "", "product `ID` to fill in on the page")
	f.BoolVar(&fl.force, "force", false, "replace an existing output file")
	f.BoolVar(&fl.asJSON, "json", false, "print what was written as one JSON object")
	_ = cmd.MarkFlagFilename("pub", "pub", "pem")
	_ = cmd.MarkFlagFilename("out", "html")
	return cmd
}

func (a *app) page(fl *pageFlags) error {
	if len(fl.pubs) == 0 {
		return usageError("give the vendor's public key file: licet page --pub acme.pub -o verify.html", "no --pub: the page needs the public key to check licenses against")
	}
	opts := web.Options{Product: fl.product}
	out := pageJSON{File: fl.out, Product: fl.product, Keys: []pageKeyJSON{}}
	for _, p := range fl.pubs {
		data, err := readFile(p, "a public key file", maxKeyFileSize)
		if err != nil {
			return err
		}
		pub, err := keys.ParsePublicKey(data)
		if err != nil {
			hint := "--pub takes a PEM public key file (ID.pub from 'licet keys new', or openssl's)"
			if info, ierr := keys.ReadKeyInfo(data); ierr == nil && info.Private {
				hint = "this is a private key: give the public key file (ID.pub); the page is for customers, the private key stays with the vendor"
			}
			return usageError(hint, "%s: %v", p, err)
		}
		opts.Keys = append(opts.Keys, web.Key{PublicKey: pub.Key, Issuer: pub.Issuer})
		out.Keys = append(out.Keys, pageKeyJSON{KID: hex.EncodeToString(pub.KeyID()), Issuer: pub.Issuer})
	}
	html, err := web.Page(opts)
	if err != nil {
		return usageError("give each public key once", "%v", err)
	}
	out.Bytes = len(html)
	if fl.out == "-" {
		_, err := a.stdout.Write(html)
		return err
	}
	if err := checkDir(fl.out); err != nil {
		return err
	}
	if err := writeNew(fl.out, html, 0o644, fl.force); err != nil {
		return err
	}
	if fl.asJSON {
		return writeJSON(a.stdout, out)
	}
	fmt.Fprintf(a.stdout, "wrote %s (%d bytes): open it in a browser, offline\n", fl.out, len(html))
	for _, k := range out.Keys {
		issuer := k.Issuer
		if issuer == "" {
			issuer = "(none named: the issuer is not checked)"
		}
		fmt.Fprintf(a.stdout, "key: %s issuer %s\n", k.KID, issuer)
	}
	if fl.product != "" {
		fmt.Fprintf(a.stdout, "product: %s\n", fl.product)
	}
	fmt.Fprintf(a.stdout, "hand customers %s: it checks licenses against the embedded keys only\n", filepath.Base(fl.out))
	return nil
}
