package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
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

// State is what the ledger knows of a license now ([ledger.State]).
type State struct {
	// Status is the state in one word, the first that holds: revoked,
	// renewed, expired, bound, written or issued (recorded, never
	// handed out).
	Status      string     `json:"status"`
	Written     bool       `json:"written"`
	Bound       bool       `json:"bound"`
	Revoked     bool       `json:"revoked"`
	RevokedBy   *RevokedBy `json:"revoked_by,omitempty"`
	Expired     bool       `json:"expired"`
	Renewed     []string   `json:"renewed_by,omitempty"`
	RenewedFrom string     `json:"renewed_from,omitempty"`
}

// RevokedBy names the list that revokes a license and its entry that
// does: id, grant id, grant or key.
type RevokedBy struct {
	List   string `json:"list"`
	Issuer string `json:"iss"`
	Seq    uint64 `json:"seq"`
	By     string `json:"by"`
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
		headers["Subject"], headers["Products"], headers["Tier"], headers["ID"] = e.Subject, strings.Join(e.Audience, ", "), e.Tier, e.ID
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

// withStates sets the State of each view from the ledger's states
// ([ledger.Ledger.States]) as of now.
func (s *Server) withStates(ctx context.Context, views []*LicenseView, entries []*ledger.Entry) error {
	if err := s.led.States(ctx, s.now(), entries...); err != nil {
		return err
	}
	for i, e := range entries {
		views[i].State = stateOf(e.State)
	}
	return nil
}

// stateOf converts the ledger's state for the API.
func stateOf(st *ledger.State) *State {
	if st == nil {
		return nil
	}
	out := &State{Status: st.Name(), Written: st.Written, Bound: st.Bound, Revoked: st.Revoked != nil, Expired: st.Expired,
		Renewed: st.RenewedBy, RenewedFrom: st.RenewedFrom}
	if r := st.Revoked; r != nil {
		out.RevokedBy = &RevokedBy{List: r.List, Issuer: r.Issuer, Seq: r.Seq, By: r.By}
	}
	return out
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
