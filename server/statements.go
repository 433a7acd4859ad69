package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/royalty"
)

// statements serves the royalty statement of a period (?period=2026-11,
// 2026-Q4, 2026, last-month, ...; ?partner=ID to keep one partner), as
// 'licet report statement --format json' prints it. A partner token
// gets its own partner's statement only.
func (s *Server) statements(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	q := r.URL.Query()
	if err := checkParams(q, []string{"period", "partner"}); err != nil {
		return err
	}
	if q.Get("period") == "" {
		return badParam("period is required: a month (2026-11), a quarter (2026-Q4), a year, FROM..TO days, or last-month, this-quarter, ...")
	}
	period, err := royalty.ParsePeriod(q.Get("period"), s.now())
	if err != nil {
		return badParam("period %q: %s", q.Get("period"), strings.TrimPrefix(err.Error(), "royalty: "))
	}
	partner := q.Get("partner")
	if g := tok.Role.Grant(); g != "" {
		ge, err := s.led.Get(r.Context(), g)
		if err != nil {
			return err
		}
		if partner != "" && partner != ge.Subject {
			return httpserve.NewProblem(http.StatusForbidden, httpserve.CodeForbidden, "the token of partner %s may not read the statement of %s", ge.Subject, partner)
		}
		partner = ge.Subject
	}
	if s.cfg.Policy == nil || s.cfg.Policy.Royalties == nil {
		return httpserve.NewProblem(http.StatusConflict, "no_prices", "the server's policy file has no [royalties] table: no prices to apply")
	}
	st, err := royalty.Build(r.Context(), s.led, royalty.Options{Period: period, Royalties: s.cfg.Policy.Royalties, Partner: partner})
	if err != nil {
		if msg, ok := strings.CutPrefix(err.Error(), "royalty: "); ok {
			return httpserve.NewProblem(http.StatusConflict, "statement_refused", "%s", msg)
		}
		return err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(data, '\n'))
	return err
}
