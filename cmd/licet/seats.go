package main

import "github.com/spf13/cobra"

// seatsSubcommands are the 'licet seats' subcommands defined in other
// files (seats_*.go), each added by an init function there: the server,
// the client commands and the usage reports live in their own files.
var seatsSubcommands []func(*app) *cobra.Command

func newSeatsCmd(a *app) *cobra.Command {
	cmd := groupCmd("seats", "Floating seats on a closed network: the site lease server and its clients", `  licet seats serve --key site.key --grant site.grant --state /var/lib/licet-seats`)
	cmd.Long = `Floating seats: a site runs a lease server ('licet seats serve') with its
own key and a site grant from the vendor (N concurrent seats, the longest
lease, borrowing caps). Products on the site's network take a lease, a
short license bound to their machine and signed under the grant, renew it
while they run and release it when they stop; no more than N leases are
out at once, borrowed ones included. Products verify leases offline with
the vendor's public key alone.`
	for _, sub := range seatsSubcommands {
		cmd.AddCommand(sub(a))
	}
	return cmd
}
