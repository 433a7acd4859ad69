package main

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

const unverifiedBanner = "UNVERIFIED: signature not checked"

type headerJSON struct {
	Alg int64  `json:"alg"`
	KID string `json:"kid"`
	Typ string `json:"typ"`
}

type inspectJSON struct {
	Verified    bool             `json:"verified"`
	Warning     string           `json:"warning"`
	Type        string           `json:"type"`
	Form        string           `json:"form"`
	Header      headerJSON       `json:"header"`
	License     *licenseJSON     `json:"license"`
	Grant       *grantJSON       `json:"grant"`
	Revocations *revocationsJSON `json:"revocations"`
}

func typeName(typ string) string {
	switch typ {
	case token.TypeLicense:
		return "license"
	case token.TypeGrant:
		return "grant"
	case token.TypeRevocations:
		return "revocations"
	}
	return typ
}

func algName(alg int64) string {
	switch alg {
	case token.AlgEdDSA:
		return "EdDSA (-8)"
	case token.AlgEd25519:
		return "Ed25519 (-19)"
	}
	return fmt.Sprintf("%d (not supported)", alg)
}

// malformedInput is the error for input that does not decode.
func malformedInput(name string, err error) error {
	return failure(fmt.Errorf("malformed: %s: %s", name, strings.TrimPrefix(err.Error(), "token: ")),
		"a licet token is PREFIX.base64url text (licet1.xxx), a PEM file (-----BEGIN LICET LICENSE-----) or raw COSE_Sign1 bytes")
}

func newInspectCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect [TOKEN|FILE|-] [--json]",
		Short: "Show what a license, grant or revocation list claims, WITHOUT verifying it",
		Long: `Decode a license, grant or revocation list and show its header and claims,
without checking its signature: the output starts with UNVERIFIED. Use it
to see what a token says; use verify to decide whether to believe it.

The argument is a token string, a file in any of the three forms (text, PEM,
raw), or - (or nothing) for stdin. Input that does not decode exits 1 with
the reason.`,
		Example: `  licet inspect license.pem
  licet inspect licet1.0oRYK6MBJgRI...
  cat license.txt | licet inspect --json
  licet inspect grant.pem`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeFiles,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			data, name, err := a.readToken(args)
			if err != nil {
				return err
			}
			u, err := token.ParseUnverified(data)
			if err != nil {
				return malformedInput(name, err)
			}
			h := u.Message.Header
			if asJSON {
				j := inspectJSON{
					Warning: unverifiedBanner, Type: typeName(h.Typ), Form: u.Form.String(),
					Header: headerJSON{Alg: h.Alg, KID: hex.EncodeToString(h.KID), Typ: h.Typ},
				}
				switch {
				case u.License != nil:
					j.License = newLicenseJSON(u.License, h.KID)
					j.License.Lease = newLeaseJSON(u.License, u.EmbeddedGrant)
					if u.EmbeddedGrant != nil {
						j.Grant = newGrantJSON(u.EmbeddedGrant, h.Grant.Header.KID)
					}
				case u.Grant != nil:
					j.Grant = newGrantJSON(u.Grant, h.KID)
				case u.Revocations != nil:
					j.Revocations = newRevocationsJSON(u.Revocations, h.KID)
				}
				return writeJSON(a.stdout, j)
			}
			fmt.Fprintln(a.stdout, unverifiedBanner)
			f := newFields(a.stdout, "")
			f.add("type", fmt.Sprintf("%s (%s)", safeText(typeName(h.Typ)), safeText(h.Typ)))
			f.add("form", u.Form.String())
			f.add("alg", algName(h.Alg))
			switch {
			case u.License != nil:
				f.add("lease", leaseText(u.License, u.EmbeddedGrant))
				printLicense(f, u.License, h.KID)
			case u.Grant != nil:
				printGrant(f, u.Grant, h.KID)
			case u.Revocations != nil:
				printRevocations(f, u.Revocations, h.KID)
			}
			f.flush()
			if u.EmbeddedGrant != nil {
				fmt.Fprintln(a.stdout, "issued under a grant (embedded, UNVERIFIED):")
				g := newFields(a.stdout, "  ")
				printGrant(g, u.EmbeddedGrant, h.Grant.Header.KID)
				g.flush()
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print one JSON object ("verified": false)`)
	return cmd
}
