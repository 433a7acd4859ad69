package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/licet/licet/internal/sqldb"
	"github.com/licet/licet/ledger/outbox"
)

// Audit says who made a change: the issuance server's API token, its
// Stripe endpoint, the command line. An append stores the Audit of each
// record ([Record.Audit]) in its own transaction, in the audit table
// serve_audit (which package server also writes its token changes to and
// reads), like the events of the outbox: a change recorded without its
// author cannot exist, and a refused append leaves no audit row.
//
// Each change is one row or more: with Action set, one row of that
// action about Subject (else the record's entry); otherwise one row per
// event the record announces ([Record.Events]), of the event's type and
// about its subject (a revocation list: each license it newly revokes),
// or, for a record that announces nothing, one row "KIND.recorded" about
// the entry. [Ledger.AppendCheckpoint] stores the Audit of its context
// ([WithAudit]) the same way, for the checkpoint's events, and
// [Ledger.AddSubscription] and [Ledger.DeleteSubscription] store it (its
// Action, about the subscription) with the webhook subscription.
type Audit struct {
	// Actor is who made the change: an API token's id, "stripe", "cli".
	Actor string
	// Action names the change (license.issued, license.activated...);
	// "" is each event's type.
	Action string
	// Subject is the id the change is about, with Action; "" is the
	// record's entry.
	Subject string
	// Order is Subject's order reference; "" is the entry's (an event's:
	// that of its data) when Subject is "".
	Order string
	// Detail is free text: "stripe event evt_...". A row about another
	// entry than the record's (a license on a revocation list) adds the
	// record's, as "list ID".
	Detail string
}

type auditKey struct{}

// WithAudit returns a context that carries a: the issuing path
// (package issue) sets it as the Audit of the records it appends in that
// context, and [Ledger.AppendCheckpoint] stores it with the checkpoint.
func WithAudit(ctx context.Context, a *Audit) context.Context {
	return context.WithValue(ctx, auditKey{}, a)
}

// AuditOf returns the Audit that ctx carries, nil for none.
func AuditOf(ctx context.Context) *Audit {
	a, _ := ctx.Value(auditKey{}).(*Audit)
	return a
}

// migrateAudit creates the audit table once, under the schema lock (see
// migrateEvents).
func (l *Ledger) migrateAudit(ctx context.Context) error {
	exists := "SELECT count(*) FROM sqlite_master WHERE name = 'serve_audit_entry'"
	if l.postgres {
		exists = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'serve_audit_entry'"
	}
	var n int
	if err := l.db.QueryRowContext(ctx, exists).Scan(&n); err != nil {
		return l.wrap("reading the tables of", err)
	}
	if n > 0 {
		return nil
	}
	tx, err := l.beginSchema(ctx, sqldb.AuditSchema, "creating the audit table")
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return l.wrap("creating the audit table", tx.Commit())
}

// auditRow is a row of serve_audit.
type auditRow struct{ action, entry, order, detail string }

// auditRows returns the rows of a change by a: about entry e (nil for a
// checkpoint), announced by evs (their subjects set), with extra added to
// the detail of every row.
func auditRows(a *Audit, e *Entry, evs []outbox.Event, extra string) []auditRow {
	detail := func(about string) string {
		d := []string{}
		if a.Detail != "" {
			d = append(d, a.Detail)
		}
		if e != nil && about != e.ID {
			what := string(e.Kind)
			if e.Kind == KindRevocations {
				what = "list"
			}
			d = append(d, what+" "+e.ID)
		}
		if extra != "" {
			d = append(d, extra)
		}
		return strings.Join(d, " ")
	}
	switch {
	case a.Action != "":
		r := auditRow{action: a.Action, entry: a.Subject, order: a.Order}
		if r.entry == "" && e != nil {
			r.entry = e.ID
			if r.order == "" {
				r.order = e.OrderRef
			}
		}
		r.detail = detail(r.entry)
		return []auditRow{r}
	case len(evs) > 0:
		rows := make([]auditRow, 0, len(evs))
		for _, ev := range evs {
			var d struct {
				Order string `json:"order"`
			}
			json.Unmarshal(ev.Data, &d)
			rows = append(rows, auditRow{action: ev.Type, entry: ev.Subject, order: d.Order, detail: detail(ev.Subject)})
		}
		return rows
	case e != nil:
		return []auditRow{{action: string(e.Kind) + ".recorded", entry: e.ID, order: e.OrderRef, detail: detail(e.ID)}}
	}
	return nil
}

// insertAudit stores the rows of a change by a (nil: none) in tx.
func (l *Ledger) insertAudit(ctx context.Context, tx *sql.Tx, a *Audit, e *Entry, evs []outbox.Event, extra string) error {
	if a == nil {
		return nil
	}
	return l.insertAuditRows(ctx, tx, a, auditRows(a, e, evs, extra))
}

// auditChunk is the most audit rows in one INSERT (6 parameters a row).
const auditChunk = 400

// insertAuditRows stores rows, each by the actor of its Audit, in
// multi-row INSERTs: an append of a pool's group stores its audit in one
// statement inside the log's lock, not one a license. audits[i] is the
// Audit of rows[i]; a single Audit serves every row.
func (l *Ledger) insertAuditRows(ctx context.Context, tx *sql.Tx, a *Audit, rows []auditRow, audits ...*Audit) error {
	at := l.now().Unix()
	args := make([]any, 0, 6*len(rows))
	for i, r := range rows {
		actor := a
		if audits != nil {
			actor = audits[i]
		}
		args = append(args, at, actor.Actor, r.action, r.entry, r.order, r.detail)
	}
	for start := 0; start < len(args); start += 6 * auditChunk {
		chunk := args[start:min(len(args), start+6*auditChunk)]
		_, err := tx.ExecContext(ctx, l.q("INSERT INTO serve_audit (at, token_id, action, entry_id, order_ref, detail) VALUES "+rowMarks(len(chunk)/6, 6)), chunk...)
		if err != nil {
			return l.wrap("recording the change in the audit table of", err)
		}
	}
	return nil
}

// insertRecordAudits stores the Audit of each record, about its entry
// and the events it announces (stored before, their subjects set), all
// in one insertAuditRows.
func (l *Ledger) insertRecordAudits(ctx context.Context, tx *sql.Tx, recs []Record, entries []*Entry) error {
	var rows []auditRow
	var audits []*Audit
	for i, r := range recs {
		if r.Audit == nil {
			continue
		}
		for _, row := range auditRows(r.Audit, entries[i], r.Events, "") {
			rows, audits = append(rows, row), append(audits, r.Audit)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return l.insertAuditRows(ctx, tx, nil, rows, audits...)
}

// checkpointAudit stores the Audit of ctx about a mirrored checkpoint.
func (l *Ledger) checkpointAudit(ctx context.Context, tx *sql.Tx, cp *StoredCheckpoint) error {
	return l.insertAudit(ctx, tx, AuditOf(ctx), nil, cp.Events, fmt.Sprintf("grant %s checkpoint of %d entries", cp.GrantID, cp.Size))
}

// subscriptionAudit stores the Audit of ctx about the webhook
// subscription id (its Subject, unless set).
func (l *Ledger) subscriptionAudit(ctx context.Context, tx *sql.Tx, id string) error {
	a := AuditOf(ctx)
	if a == nil {
		return nil
	}
	b := *a
	if b.Subject == "" {
		b.Subject = id
	}
	if b.Action == "" {
		b.Action = "webhook.subscription"
	}
	return l.insertAudit(ctx, tx, &b, nil, nil, "")
}
