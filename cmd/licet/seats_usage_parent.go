package main

import "github.com/spf13/cobra"

// newSeatsCmd returns the seats command group. This file stands in for
// the one of the seats server branch (cmd/licet/seats.go), which holds the
// same group with 'serve'; when both meet, that file's newSeatsCmd calls
// addSeatsUsageCmds and this file goes.
func newSeatsCmd(a *app) *cobra.Command {
	cmd := groupCmd("seats", "Floating seats: a site's lease server, its clients and its usage reports", `  licet seats report --state /var/lib/licet-seats -o usage.report
  licet seats ingest usage.report --trust acme.pub --grant plant-1.grant
  licet seats statement --grant plant-1.grant --period last-month --format html -o usage.html`)
	cmd.Long = `Floating seats on a closed network: the site's lease server hands out
leases, short licenses signed by the site's key under the vendor's site
grant, and logs every lease event in a Merkle log whose checkpoints the
site key signs. The site reports that log ('licet seats report'); the
vendor checks and keeps the reports ('licet seats ingest') and sees the
peak seats, seat-hours and refusals per day ('licet seats statement').`
	addSeatsUsageCmds(a, cmd)
	return cmd
}
