// Package sqldb is what the packages that keep tables in the ledger's
// database share about it: its locations (a file path or a postgres://
// URL, [IsURL], with passwords kept out of messages, [Redact]), the
// SQLite settings ([SQLiteDSN]), the placeholder style ([Rebind]), and
// [OpenSideDB] for the tables kept beside the ledger's (the issuance
// server's API tokens and audit records, the Stripe events).
package sqldb

import (
	"strconv"
	"strings"
)

// Rebind turns the ? placeholders of query into PostgreSQL's $1, $2...
// when postgres is true; SQLite takes query as it is.
func Rebind(postgres bool, query string) string {
	if !postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
