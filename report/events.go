package report

import (
	"encoding/json"
	"time"

	"github.com/licet/licet/ledger"
	"github.com/licet/licet/ledger/outbox"
)

// ingestedData is the data of a report.ingested event.
type ingestedData struct {
	GrantID string    `json:"grant_id"`
	Partner string    `json:"partner"`
	KID     string    `json:"kid"`
	Start   int64     `json:"start"`   // the entries of the log ingested before
	Size    int64     `json:"size"`    // the entries after this report
	Entries int64     `json:"entries"` // the entries this report added
	Source  string    `json:"source,omitempty"`
	At      time.Time `json:"ingested_at"`
}

// events returns the report.ingested event stored with the checkpoint of
// an ingest, in its transaction.
func (s *ingestion) events(cp *ledger.StoredCheckpoint) []outbox.Event {
	d := ingestedData{GrantID: s.r.GrantID, Partner: s.in.Grant.Subject, KID: s.in.KID, Start: s.head.N, Size: s.cp.Size,
		Entries: s.cp.Size - s.head.N, Source: cp.Source, At: cp.Recorded}
	data, err := json.Marshal(d)
	if err != nil {
		return nil
	}
	return []outbox.Event{{Type: outbox.EventReportIngested, Subject: s.r.GrantID, Data: data}}
}
