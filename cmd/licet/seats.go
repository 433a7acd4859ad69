package main

import "github.com/spf13/cobra"

// seatsSubcommands are the 'licet seats' subcommands defined in other
// files (seats_*.go), each added by an init function there: the server,
// the client commands and the usage reports live in their own files.
var seatsSubcommands []func(*app) *cobra.Command

func newSeatsCmd(a *app) *cobra.Command {
	cmd := groupCmd("seats", "Floating seats on a closed network: the site lease server and its clients", `  # The site: its lease server, and a usage report of it for the vendor each month.
  licet seats serve --key site.key --passphrase-file site.pass --grant site.grant --state /var/lib/licet-seats
  licet seats report --state /var/lib/licet-seats --since usage-1.report -o usage-2.report
  # A machine: a seat borrowed for a week off the network, then given back.
  licet seats borrow --server https://seats.hq.example:7070 --product acme-db --for 7d -o acme-db.lease
  licet seats return acme-db.lease --server https://seats.hq.example:7070
  # The vendor: check the site's report and keep it, then the site's seats in use per day.
  licet seats ingest usage-2.report --trust acme.pub --grant site.grant
  licet seats statement --grant site.grant --format html -o site-usage.html`)
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
