// Package sqldb holds what the packages that keep tables in the ledger's
// database (ledger, ledger/outbox) share about writing queries for it.
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
