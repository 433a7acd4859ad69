package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
)

// defaultNextUpdate is a list's next update unless a revoke asks another.
const defaultNextUpdate = 30 * 24 * time.Hour

// revokeRequest is the body of POST /v1/licenses/{id}/revoke (optional).
type revokeRequest struct {
	// NextUpdate is the list's next update: a DURATION from now (30d) or
	// a date; default 30 days.
	NextUpdate string `json:"next_update,omitempty"`
}

// ListView is a signed revocation list.
type ListView struct {
	ID         string    `json:"id"`
	Issuer     string    `json:"iss"`
	Seq        uint64    `json:"seq"`
	IssuedAt   time.Time `json:"iat"`
	NextUpdate time.Time `json:"next_update"`
	KID        string    `json:"kid"`
	Token      *Forms    `json:"token"`
}

func listView(e *ledger.Entry, seq uint64) (*ListView, error) {
	f, err := forms(e)
	if err != nil {
		return nil, err
	}
	return &ListView{ID: e.ID, Issuer: e.Issuer, Seq: seq, IssuedAt: e.IssuedAt.UTC(), NextUpdate: e.Expiry.UTC(), KID: e.KID, Token: f}, nil
}

// revokeResponse is the answer of a revoke.
type revokeResponse struct {
	License *LicenseView `json:"license"`
	List    *ListView    `json:"list"`
	// AlreadyRevoked is set when the newest list revoked it before:
	// nothing was signed.
	AlreadyRevoked bool `json:"already_revoked,omitempty"`
}

func (s *Server) revokeLicense(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	var req revokeRequest
	if r.ContentLength != 0 {
		if err := httpserve.DecodeJSON(r, &req, knownFields([]string{"next_update"})); err != nil {
			return err
		}
	}
	now := s.now()
	next := now.Add(defaultNextUpdate)
	if req.NextUpdate != "" {
		if d, err := policy.ParseDuration(req.NextUpdate); err == nil && d > 0 {
			next = now.Add(d)
		} else if t, err := parseDate(req.NextUpdate); err == nil && t.After(now) {
			next = t
		} else {
			return invalid([]string{"next_update " + req.NextUpdate + ": a DURATION such as 30d or a date in the future"})
		}
	}
	e, err := s.find(r.Context(), r.PathValue("id"), tok)
	if err != nil {
		return err
	}
	le, err := issue.EntryFor(e)
	if err != nil {
		return err
	}
	ctx := r.Context()
	resp := &revokeResponse{}
	status := http.StatusCreated
	if err := s.led.States(ctx, now, e); err != nil {
		return err
	}
	if e.State.Revoked != nil {
		resp.AlreadyRevoked, status = true, http.StatusOK
	} else {
		// Audited per license the list newly revokes (its
		// license.revoked event), with the list as the detail.
		if _, err := s.cfg.Issuer.Revoke(audited(r, tok, ""), &issue.RevokeRequest{Revoke: []issue.ListEntry{le}, NextUpdate: next, Out: out}); err != nil {
			return err
		}
		s.issued.WithLabelValues("revocations").Inc()
	}
	newest, err := issue.NewestList(ctx, s.led, s.cfg.Issuer.Name)
	if err != nil {
		return err
	}
	if resp.List, err = listView(newest.Entry, newest.List.Seq); err != nil {
		return err
	}
	if resp.License, err = view(e, false); err != nil {
		return err
	}
	if err := s.withStates(ctx, []*LicenseView{resp.License}, []*ledger.Entry{e}); err != nil {
		return err
	}
	httpserve.WriteJSON(w, status, resp)
	return nil
}

// revocationsBody is the answer of GET /v1/revocations.
type revocationsBody struct {
	Issuer string      `json:"iss"`
	Lists  []*ListView `json:"lists"`
}

// revocations serves the issuer's newest signed list, with an ETag so
// that products polling it get 304 Not Modified until it changes.
func (s *Server) revocations(w http.ResponseWriter, r *http.Request, _ *APIToken) error {
	newest, err := issue.NewestList(r.Context(), s.led, s.cfg.Issuer.Name)
	if err != nil {
		return err
	}
	body := revocationsBody{Issuer: s.cfg.Issuer.Name, Lists: []*ListView{}}
	if newest != nil {
		lv, err := listView(newest.Entry, newest.List.Seq)
		if err != nil {
			return err
		}
		body.Lists = append(body.Lists, lv)
	}
	data, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "public, no-cache")
	if etagMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(data, '\n'))
	return err
}

// etagMatch reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
