package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/licet/licet/internal/checkpoint"
	"github.com/licet/licet/internal/reportfile"
	"github.com/licet/licet/ledger"
)

// EvidenceKind is the "licet_evidence" member of an evidence file.
const EvidenceKind = "inconsistent checkpoints"

// Evidence is the file [Ingest] writes when a partner's checkpoint
// contradicts one ingested before: both signed notes (each verifiable with
// the partner's public key alone), the proof offered, and the report.
type Evidence struct {
	Kind        string          `json:"licet_evidence"`
	Explanation string          `json:"explanation"`
	Vendor      string          `json:"vendor"`
	Partner     string          `json:"partner"`
	GrantID     string          `json:"grant"`
	KID         string          `json:"kid"`
	PublicKey   string          `json:"public_key"` // base64 of the partner's Ed25519 key
	Earlier     EvidenceNote    `json:"earlier"`
	Later       EvidenceNote    `json:"later"`
	Proof       []string        `json:"proof"`
	Found       time.Time       `json:"found"`
	Report      json.RawMessage `json:"report"`
}

// EvidenceNote is one signed checkpoint of an [Evidence] file.
type EvidenceNote struct {
	Size     int64      `json:"size"`
	Root     string     `json:"root"`
	Note     string     `json:"note"`
	Source   string     `json:"source"`
	Ingested *time.Time `json:"ingested,omitempty"`
}

// inconsistent writes the evidence file and returns the refusal naming it.
func (s *ingestion) inconsistent(ctx context.Context, explanation string) error {
	cps, err := s.led.Checkpoints(ctx, s.in.KID)
	if err != nil {
		return err
	}
	var earlier *ledger.StoredCheckpoint
	for _, cp := range cps {
		earlier = cp
		if cp.Size >= s.cp.Size {
			break
		}
	}
	if earlier == nil {
		return refuse(CodeInconsistent, "%s", explanation)
	}
	ingested := earlier.Recorded
	ev := &Evidence{
		Kind:        EvidenceKind,
		Explanation: reportfile.Explanation(explanation, "partner's", checkpoint.Origin(s.in.KID)),
		Vendor:      s.in.Grant.Issuer, Partner: s.in.Grant.Subject, GrantID: s.r.GrantID, KID: s.in.KID,
		PublicKey: base64.StdEncoding.EncodeToString(s.in.Grant.Key),
		Earlier: EvidenceNote{Size: earlier.Size, Root: earlier.Root.String(), Note: string(earlier.Note),
			Source: earlier.Source, Ingested: &ingested},
		Later: EvidenceNote{Size: s.cp.Size, Root: s.cp.Root.String(), Note: s.r.Checkpoint, Source: s.opt.Source},
		Proof: s.r.Proof, Found: s.opt.Now.UTC().Truncate(time.Second), Report: json.RawMessage(bytes.TrimSpace(s.data)),
	}
	path, err := reportfile.WriteEvidence(s.evidenceDir(), fmt.Sprintf("licet-evidence-%s-%d-%d", s.in.KID, earlier.Size, s.cp.Size), ev)
	if err != nil {
		return refuse(CodeInconsistent, "%s; the evidence could not be written: %v", explanation, err)
	}
	return &Error{Code: CodeInconsistent, Message: explanation + "; nothing was ingested", Evidence: path}
}
