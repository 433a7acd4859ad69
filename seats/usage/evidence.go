package usage

import (
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/licet/licet/internal/reportfile"
)

// EvidenceKind is the "licet_evidence" member of an evidence file.
const EvidenceKind = "inconsistent seat usage checkpoints"

// Evidence is the file [History.Add] writes when a site's checkpoint
// contradicts one accepted before: both signed notes (each verifiable
// with the site key alone, public_key) and the report.
type Evidence struct {
	Kind        string          `json:"licet_evidence"`
	Explanation string          `json:"explanation"`
	Vendor      string          `json:"vendor"`
	Site        string          `json:"site"`
	GrantID     string          `json:"grant"`
	PublicKey   string          `json:"public_key"` // base64 of the site's Ed25519 key
	Earlier     EvidenceNote    `json:"earlier"`
	Later       EvidenceNote    `json:"later"`
	Proof       []string        `json:"proof"`
	Report      json.RawMessage `json:"report"`
}

// EvidenceNote is one signed checkpoint of an [Evidence] file.
type EvidenceNote struct {
	Size   int64  `json:"size"`
	Root   string `json:"root"`
	Note   string `json:"note"`
	Source string `json:"source"`
}

// inconsistent refuses a report whose checkpoint contradicts the history,
// writing the evidence to EvidenceDir when it is set.
func (h *History) inconsistent(a *Accepted, explanation string) error {
	var earlier *Accepted
	for _, p := range h.Reports { // the first checkpoint at least as large, else the last
		earlier = p
		if p.Checkpoint.Size >= a.Checkpoint.Size {
			break
		}
	}
	if earlier == nil || h.EvidenceDir == "" {
		return refuse(CodeInconsistent, "%s; nothing was ingested", explanation)
	}
	report := json.RawMessage(a.Data)
	if !json.Valid(report) {
		report, _ = json.Marshal(string(a.Data))
	}
	ev := &Evidence{
		Kind:        EvidenceKind,
		Explanation: reportfile.Explanation(explanation, "site's", Origin(h.GrantID)),
		Vendor:      h.Grant.Issuer, Site: h.Grant.Subject, GrantID: h.GrantID,
		PublicKey: base64.StdEncoding.EncodeToString(h.siteKey),
		Earlier: EvidenceNote{Size: earlier.Checkpoint.Size, Root: earlier.Checkpoint.Root.String(),
			Note: earlier.Report.Checkpoint, Source: earlier.Source},
		Later: EvidenceNote{Size: a.Checkpoint.Size, Root: a.Checkpoint.Root.String(), Note: a.Report.Checkpoint, Source: a.Source},
		Proof: a.Report.Proof, Report: report,
	}
	path, err := reportfile.WriteEvidence(h.EvidenceDir, fmt.Sprintf("licet-seat-evidence-%s-%d-%d", h.GrantID, earlier.Checkpoint.Size, a.Checkpoint.Size), ev)
	if err != nil {
		return refuse(CodeInconsistent, "%s; the evidence could not be written: %v", explanation, err)
	}
	return &Error{Code: CodeInconsistent, Message: explanation + "; nothing was ingested", Evidence: path}
}
