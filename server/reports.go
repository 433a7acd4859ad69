package server

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/report"
)

// ingestResponse is the verdict of POST /v1/reports on a report ingested.
type ingestResponse struct {
	Ingested bool     `json:"ingested"`
	Grant    string   `json:"grant"`
	Partner  string   `json:"partner"`
	KID      string   `json:"kid"`
	Start    int64    `json:"start"`
	Size     int64    `json:"size"`
	Root     string   `json:"root"`
	Licenses []string `json:"licenses"`
	// Previous is when the previous report of the log was ingested.
	Previous *time.Time `json:"previous,omitempty"`
	// Late lists the licenses issued before the previous report was
	// ingested: statements count them now.
	Late []string `json:"late"`
}

// createReport ingests a partner's royalty report (the body is the report
// file, as 'licet report create' writes it). A partner token may upload
// the reports of its own grant only; admin any. A refused report is a
// 422 problem whose code is "report_" and the refusal's code
// (report_tampered, report_dropped, ...); nothing is stored then.
func (s *Server) createReport(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return httpserve.NewProblem(http.StatusUnsupportedMediaType, httpserve.CodeUnsupportedType, "the body must be the report file, application/json, not %s", ct)
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpserve.NewProblem(http.StatusRequestEntityTooLarge, httpserve.CodeBodyTooLarge,
				"the report is larger than %d bytes: report more often, or start the server with a larger --max-body", mbe.Limit)
		}
		return httpserve.NewProblem(http.StatusBadRequest, httpserve.CodeMalformedJSON, "reading the body: %v", err)
	}
	now := s.now()
	source := fmt.Sprintf("api-%s-%s.report", tok.ID, now.Format("20060102T150405Z"))
	// Audited with the checkpoint (its report.ingested event), in its
	// transaction.
	in, err := report.Ingest(audited(r, tok, ""), s.led, data, report.IngestOptions{Source: source, Grant: tok.Role.Grant(), EvidenceDir: s.cfg.EvidenceDir, Now: now})
	var re *report.Error
	if errors.As(err, &re) {
		if re.Evidence != "" {
			s.log.Warn("report refused: evidence kept", "token", tok.ID, "code", re.Code, "evidence", re.Evidence)
		}
		msg := strings.TrimPrefix(re.Message, "report: ")
		return httpserve.NewProblem(http.StatusUnprocessableEntity, "report_"+string(re.Code), "the report is refused (%s): %s", re.Code, msg)
	}
	if err != nil {
		return err
	}
	resp := ingestResponse{Ingested: true, Grant: in.Report.GrantID, Partner: in.Grant.Subject, KID: in.KID, Start: in.Start, Size: in.Size,
		Root: in.Root.String(), Licenses: []string{}, Late: []string{}}
	if !in.Previous.IsZero() {
		p := in.Previous.UTC()
		resp.Previous = &p
	}
	for _, e := range in.Entries {
		resp.Licenses = append(resp.Licenses, e.ID)
	}
	for _, e := range in.Late {
		resp.Late = append(resp.Late, e.ID)
	}
	status := http.StatusCreated
	if len(in.Entries) == 0 {
		status = http.StatusOK
	}
	httpserve.WriteJSON(w, status, resp)
	return nil
}
