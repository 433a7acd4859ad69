package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/licet/licet/server"
	"github.com/spf13/cobra"
)

type serveTokenFlags struct {
	ledger, key, name, role string
	json                    bool
}

func newServeTokenCmd(a *app) *cobra.Command {
	cmd := groupCmd("token", "Create, list and revoke the API tokens of 'licet serve'",
		"  licet serve token create --ledger acme.db --name crm --role mint\n  licet serve token list --ledger acme.db\n  licet serve token revoke --ledger acme.db 3f2a9c0e1b2d4f56")
	cmd.AddCommand(newServeTokenCreateCmd(a), newServeTokenListCmd(a), newServeTokenRevokeCmd(a))
	return cmd
}

func addTokenStoreFlags(cmd *cobra.Command, fl *serveTokenFlags) {
	cmd.Flags().StringVar(&fl.ledger, "ledger", "", ledgerFlagUsage)
	cmd.Flags().StringVar(&fl.key, "key", "", "the server's private key `FILE` (only to find the ledger beside it)")
}

// openTokenStore opens the token store in the ledger's database (the
// ledger opened first, which creates it).
func (a *app) openTokenStore(fl *serveTokenFlags) (*server.Store, error) {
	loc := a.ledgerLocation(fl.ledger, fl.key)
	led, err := a.openLedger(loc)
	if err != nil {
		return nil, err
	}
	led.Close()
	s, err := server.OpenStore(context.Background(), loc)
	if err != nil {
		return nil, ioError(err, ledgerHint)
	}
	s.SetClock(a.now)
	return s, nil
}

func newServeTokenCreateCmd(a *app) *cobra.Command {
	fl := &serveTokenFlags{}
	cmd := &cobra.Command{
		Use:   "create --name NAME --role ROLE [--ledger LOCATION]",
		Short: "Create an API token (shown once)",
		Long: `Create an API token for 'licet serve' and print it once: the ledger's
database keeps only its SHA-256. Roles: read (list and show), mint (and
read), revoke (and read), admin (everything, grants included), and
partner:GRANT_ID, which reads only the licenses minted under that grant
and uploads that grant's royalty reports.
Send it as 'Authorization: Bearer licet_...'.`,
		Example: "  licet serve token create --ledger acme.db --name crm --role mint",
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			role, err := server.ParseRole(fl.role)
			if err != nil {
				return usageError("", "--role: %s", strings.TrimPrefix(err.Error(), "server: "))
			}
			if strings.TrimSpace(fl.name) == "" {
				return usageError("", "--name is required: who or what uses the token (crm, billing)")
			}
			s, err := a.openTokenStore(fl)
			if err != nil {
				return err
			}
			defer s.Close()
			t, secret, err := s.Create(context.Background(), fl.name, role)
			if err != nil {
				return failure(errors.New(strings.TrimPrefix(err.Error(), "server: ")), "")
			}
			if fl.json {
				return writeJSON(a.stdout, map[string]any{"id": t.ID, "name": t.Name, "role": t.Role, "token": secret})
			}
			fmt.Fprintln(a.stdout, secret)
			a.warn("token %s (%s, role %s) is shown only now: keep it in your CRM's secret store", t.ID, t.Name, t.Role)
			return nil
		}),
	}
	addTokenStoreFlags(cmd, fl)
	cmd.Flags().StringVar(&fl.name, "name", "", "`NAME` of who or what uses the token, e.g. crm (required)")
	cmd.Flags().StringVar(&fl.role, "role", "", "`ROLE`: read, mint, revoke, admin or partner:GRANT_ID (required)")
	cmd.Flags().BoolVar(&fl.json, "json", false, "print id, name, role and token as JSON")
	return cmd
}

func newServeTokenListCmd(a *app) *cobra.Command {
	fl := &serveTokenFlags{}
	cmd := &cobra.Command{
		Use:     "list [--ledger LOCATION]",
		Short:   "List the API tokens (never their secrets)",
		Example: "  licet serve token list --ledger acme.db",
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			s, err := a.openTokenStore(fl)
			if err != nil {
				return err
			}
			defer s.Close()
			list, err := s.List(context.Background())
			if err != nil {
				return failure(errors.New(strings.TrimPrefix(err.Error(), "server: ")), "")
			}
			if fl.json {
				if list == nil {
					list = []*server.APIToken{}
				}
				return writeJSON(a.stdout, list)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
			for _, t := range list {
				revoked := "-"
				if !t.Revoked.IsZero() {
					revoked = t.Revoked.Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, safeText(t.Name), t.Role, t.Created.Format("2006-01-02 15:04"), revoked)
			}
			return tw.Flush()
		}),
	}
	addTokenStoreFlags(cmd, fl)
	cmd.Flags().BoolVar(&fl.json, "json", false, "print the tokens as JSON")
	return cmd
}

func newServeTokenRevokeCmd(a *app) *cobra.Command {
	fl := &serveTokenFlags{}
	cmd := &cobra.Command{
		Use:     "revoke ID [--ledger LOCATION]",
		Short:   "Revoke an API token: running servers refuse it within a second",
		Example: "  licet serve token revoke --ledger acme.db 3f2a9c0e1b2d4f56",
		Args:    cobra.ExactArgs(1),
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			s, err := a.openTokenStore(fl)
			if err != nil {
				return err
			}
			defer s.Close()
			err = s.Revoke(context.Background(), args[0])
			if errors.Is(err, server.ErrNoToken) {
				return failure(fmt.Errorf("no valid API token %q", args[0]), "'licet serve token list' shows the ids")
			}
			if err != nil {
				return failure(errors.New(strings.TrimPrefix(err.Error(), "server: ")), "")
			}
			fmt.Fprintf(a.stdout, "revoked API token %s\n", args[0])
			return nil
		}),
	}
	addTokenStoreFlags(cmd, fl)
	return cmd
}

func newServeAuditCmd(a *app) *cobra.Command {
	fl := &serveTokenFlags{}
	var entry string
	cmd := &cobra.Command{
		Use:   "audit [--ledger LOCATION] [--entry ID] [--json]",
		Short: "Show the changes made through the issuance API, each with its token",
		Long: `Show the audit log of 'licet serve': every license issued, renewed,
activated or revoked, every grant and report, and every API token created
or revoked, with the time and the token that did it ("cli" for the
command line), oldest first.`,
		Example: "  licet serve audit --ledger acme.db\n  licet serve audit --ledger acme.db --entry 8f26dbc27843c7fcaaae0e22d8e7e7a2 --json",
		Args:    cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			s, err := a.openTokenStore(fl)
			if err != nil {
				return err
			}
			defer s.Close()
			log, err := s.AuditLog(context.Background(), strings.ToLower(entry))
			if err != nil {
				return failure(errors.New(strings.TrimPrefix(err.Error(), "server: ")), "")
			}
			if fl.json {
				if log == nil {
					log = []*server.AuditRecord{}
				}
				return writeJSON(a.stdout, log)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tTOKEN\tACTION\tENTRY\tORDER\tDETAIL")
			for _, r := range log {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.At.Format("2006-01-02 15:04:05"), r.TokenID, r.Action,
					orDash(r.EntryID), orDash(safeText(r.Order)), orDash(safeText(r.Detail)))
			}
			return tw.Flush()
		}),
	}
	addTokenStoreFlags(cmd, fl)
	cmd.Flags().StringVar(&entry, "entry", "", "only the changes of the ledger entry with this `ID`")
	cmd.Flags().BoolVar(&fl.json, "json", false, "print the records as JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
