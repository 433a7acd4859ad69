package main

import "github.com/spf13/cobra"

// newSeatsCmd returns the seats command group. This file stands in for
// the one of the seats server branch (cmd/licet/seats.go), which holds the
// same group with 'serve'; when both meet, that file's newSeatsCmd calls
// addSeatsClientCmds and this file goes.
func newSeatsCmd(a *app) *cobra.Command {
	cmd := groupCmd("seats", "Floating seats: a site's lease server and its clients", `  licet seats checkout --server http://seats.lan:7070 --product widget -o widget.lease
  licet seats borrow --server http://seats.lan:7070 --product widget --for 7d -o widget.lease
  licet seats return widget.lease --server http://seats.lan:7070
  licet seats status --server http://seats.lan:7070`)
	cmd.Long = `Floating seats on a closed network: the site's lease server hands out
leases, short licenses signed by the site's key under the vendor's site
grant, each bound to one machine, never more at once than the grant's
seats. Products lease a seat themselves (sdk Config.LeaseServer); these
commands take one by hand, for a laptop leaving the network.`
	addSeatsClientCmds(a, cmd)
	return cmd
}
