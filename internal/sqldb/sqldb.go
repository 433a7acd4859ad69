// Package sqldb is what the packages that keep tables in the ledger's
// database share about it: its locations (a file path or a postgres://
// URL, [IsURL], with passwords kept out of messages, [Redact]), the
// SQLite settings ([SQLiteDSN]), the placeholder style ([Rebind]), and
// [OpenSideDB] for the tables kept beside the ledger's (the issuance
// server's API tokens and audit records, the Stripe events), and the
// DDL of a table two packages create ([AuditSchema]).
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

// AuditSchema is the DDL of the audit table, serve_audit: the issuance
// server (package server) writes to it, the ledger (package ledger)
// stores the audit of its records in it, and each creates it if missing.
const AuditSchema = `
CREATE TABLE IF NOT EXISTS serve_audit (
	at        BIGINT NOT NULL,
	token_id  TEXT NOT NULL,
	action    TEXT NOT NULL,
	entry_id  TEXT NOT NULL,
	order_ref TEXT NOT NULL,
	detail    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS serve_audit_entry ON serve_audit (entry_id);
`
