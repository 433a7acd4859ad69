package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// LicenseView is a license (or grant) as the API shows it.
type LicenseView struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Issuer      string     `json:"iss"`
	Subject     string     `json:"sub"`
	Audience    []string   `json:"aud"`
	Tier        string     `json:"tier"`
	IssuedAt    time.Time  `json:"iat"`
	Expiry      *time.Time `json:"exp"`
	Grant       string     `json:"grant,omitempty"`
	Partner     string     `json:"partner,omitempty"`
	Order       string     `json:"order,omitempty"`
	RenewedFrom string     `json:"renewed_from,omitempty"`
	KID         string     `json:"kid"`
	LedgerIndex int64      `json:"ledger_index"`
	Recorded    time.Time  `json:"recorded"`
	State       *State     `json:"state,omitempty"`
	Token       *Forms     `json:"token,omitempty"`
	// Existing is set when an order (or Idempotency-Key) was issued
	// before with the same terms: the recorded license came back.
	Existing bool `json:"existing,omitempty"`
}

// State is what the ledger knows of a license now.
type State struct {
	// Status is revoked, renewed, expired or active, the first that
	// holds.
	Status  string   `json:"status"`
	Written bool     `json:"written"`
	Revoked bool     `json:"revoked"`
	Expired bool     `json:"expired"`
	Renewed []string `json:"renewed_by,omitempty"`
}

// Forms is a token in each form.
type Forms struct {
	Text string `json:"text"`
	PEM  string `json:"pem"`
	Raw  string `json:"raw"` // base64 of the COSE_Sign1 bytes
}

// pemTypes maps an entry kind to its PEM block type.
var pemTypes = map[ledger.Kind]string{ledger.KindLicense: token.PEMLicense, ledger.KindGrant: token.PEMGrant, ledger.KindRevocations: token.PEMRevocations}

// forms encodes a recorded token in each form.
func forms(e *ledger.Entry) (*Forms, error) {
	text, err := token.EncodeText(e.Raw, "")
	if err != nil {
		return nil, err
	}
	headers := map[string]string{"Issuer": e.Issuer}
	if e.Kind != ledger.KindRevocations {
		headers["Subject"], headers["Products"], headers["Tier"], headers["ID"] = e.Subject, e.Products(), e.Tier, e.ID
	}
	return &Forms{Text: text, PEM: string(token.EncodePEM(e.Raw, pemTypes[e.Kind], headers)), Raw: base64.StdEncoding.EncodeToString(e.Raw)}, nil
}

// view returns the view of an entry; withToken adds its forms.
func view(e *ledger.Entry, withToken bool) (*LicenseView, error) {
	v := &LicenseView{ID: e.ID, Kind: string(e.Kind), Issuer: e.Issuer, Subject: e.Subject, Audience: e.Audience, Tier: e.Tier,
		IssuedAt: e.IssuedAt.UTC(), Grant: e.GrantID, Partner: e.Partner, Order: e.OrderRef, RenewedFrom: e.RenewedFrom,
		KID: e.KID, LedgerIndex: e.Index, Recorded: e.Recorded.UTC()}
	if v.Audience == nil {
		v.Audience = []string{}
	}
	if !e.Expiry.IsZero() {
		exp := e.Expiry.UTC()
		v.Expiry = &exp
	}
	if withToken {
		var err error
		if v.Token, err = forms(e); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// revokedSet is the newest revocation list of an issuer, for states.
type revokedSet struct{ list *token.Revocations }

func (s *Server) revokedSet(ctx context.Context) (*revokedSet, error) {
	rl, err := issue.NewestList(ctx, s.led, s.cfg.Issuer.Name)
	if err != nil || rl == nil {
		return &revokedSet{}, err
	}
	return &revokedSet{list: rl.List}, nil
}

// revokes reports whether the list revokes the license or grant e (by
// its id, its id under its grant, its grant, or its key).
func (rs *revokedSet) revokes(e *ledger.Entry) bool {
	if rs.list == nil {
		return false
	}
	id, _ := hex.DecodeString(e.ID)
	kid, _ := hex.DecodeString(e.KID)
	has := func(set [][]byte, b []byte) bool {
		return len(b) > 0 && slices.ContainsFunc(set, func(x []byte) bool { return bytes.Equal(x, b) })
	}
	if has(rs.list.KeyIDs, kid) {
		return true
	}
	if e.GrantID == "" {
		return has(rs.list.IDs, id)
	}
	g, _ := hex.DecodeString(e.GrantID)
	if has(rs.list.IDs, g) {
		return true
	}
	return slices.ContainsFunc(rs.list.Granted, func(p token.GrantIDs) bool { return bytes.Equal(p.Grant, g) && has(p.IDs, id) })
}

// state derives an entry's state.
func (s *Server) state(ctx context.Context, e *ledger.Entry, rs *revokedSet, now time.Time) (*State, error) {
	st := &State{Written: e.Written, Revoked: rs.revokes(e), Expired: !e.Expiry.IsZero() && !now.Before(e.Expiry)}
	if e.Kind == ledger.KindLicense {
		renewals, err := s.led.List(ctx, ledger.Filter{Kind: ledger.KindLicense, RenewedFrom: e.ID})
		if err != nil {
			return nil, err
		}
		for _, r := range renewals {
			st.Renewed = append(st.Renewed, r.ID)
		}
	}
	switch {
	case st.Revoked:
		st.Status = "revoked"
	case len(st.Renewed) > 0:
		st.Status = "renewed"
	case st.Expired:
		st.Status = "expired"
	default:
		st.Status = "active"
	}
	return st, nil
}

// problemOf maps an error of the issuing path to a problem.
func problemOf(err error) *httpserve.Problem {
	var conflict *issue.ConflictError
	var violation *issue.GrantViolationError
	var rotated *issue.RotatedSignerError
	var dup *ledger.DuplicateError
	var amb *ledger.AmbiguousError
	switch {
	case errors.As(err, &conflict):
		p := httpserve.NewProblem(http.StatusConflict, "order_conflict",
			"order %s was issued as license %s with other terms", conflict.Order, conflict.Existing.ID)
		p.Problems = conflict.Differences
		return p
	case errors.As(err, &violation):
		p := httpserve.NewProblem(http.StatusUnprocessableEntity, "grant_violation", "%s", strings.TrimPrefix(err.Error(), "issue: "))
		p.Problems = violation.Violations
		return p
	case errors.As(err, &rotated):
		return httpserve.NewProblem(http.StatusConflict, "rotation_current", "%s; revoke with 'licet revoke' and the previous key until the rotation ends", strings.TrimPrefix(err.Error(), "issue: "))
	case errors.As(err, &dup):
		return httpserve.NewProblem(http.StatusConflict, "duplicate", "%s", strings.TrimPrefix(err.Error(), "ledger: "))
	case errors.As(err, &amb):
		return httpserve.NewProblem(http.StatusConflict, "ambiguous_id", "%s", strings.TrimPrefix(err.Error(), "ledger: "))
	case errors.Is(err, ledger.ErrNotFound):
		return httpserve.NewProblem(http.StatusNotFound, httpserve.CodeNotFound, "no such license in the ledger")
	}
	return httpserve.NewProblem(http.StatusInternalServerError, httpserve.CodeInternal, "internal error: see the server's log")
}
