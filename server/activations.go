package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
)

// activationRequest is the body of POST /v1/activations: the activation
// request that 'licet activate request' wrote on the customer's machine,
// and the terms of the license to bind to it.
type activationRequest struct {
	Terms
	// Request is the activation request, as the JSON object of its file.
	Request         json.RawMessage `json:"request"`
	Order           string          `json:"order,omitempty"`
	NoRotationGrant bool            `json:"no_rotation_grant,omitempty"`
}

var activationFields = sync.OnceValue(func() map[string]bool {
	return knownFields(termsFields, []string{"request", "order", "no_rotation_grant"})
})

// bound builds the license asked, bound to the request's machine as
// 'licet mint --from-request' binds it: the request's product is the aud
// when the terms name none (and must be among them otherwise), its
// fingerprint the host binding.
func (a *activationRequest) bound(s *Server, req *machine.ActivationRequest, now time.Time) (*token.License, error) {
	t := a.Terms
	lic, problems := t.license(s.cfg.Policy, now)
	// The request names the product when the terms do not.
	problems = slices.DeleteFunc(problems, func(p string) bool { return strings.HasPrefix(p, "aud is required") })
	if len(problems) > 0 {
		return nil, invalid(problems)
	}
	if err := req.Apply(lic); err != nil {
		var ce *machine.ConflictError
		if errors.As(err, &ce) {
			p := httpserve.NewProblem(http.StatusUnprocessableEntity, "activation_conflict", "%s", strings.TrimPrefix(err.Error(), "machine: "))
			return nil, p
		}
		return nil, invalid([]string{strings.TrimPrefix(err.Error(), "machine: ")})
	}
	return lic, nil
}

// createActivation mints a license bound to the machine of an activation
// request (offline activation over the API).
func (s *Server) createActivation(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	var body activationRequest
	if err := httpserve.DecodeJSON(r, &body, activationFields()); err != nil {
		return err
	}
	if len(body.Request) == 0 || string(body.Request) == "null" {
		return invalid([]string{"request is required: the activation request that 'licet activate request' wrote"})
	}
	req, err := machine.ParseActivationRequest(body.Request)
	if err != nil {
		p := httpserve.NewProblem(http.StatusUnprocessableEntity, "invalid_activation_request", "%s", strings.TrimPrefix(err.Error(), "machine: "))
		return p
	}
	order, err := orderOf(r, body.Order)
	if err != nil {
		return err
	}
	lic, err := body.bound(s, req, s.now())
	if err != nil {
		return err
	}
	if err := s.validate(lic); err != nil {
		return err
	}
	ctx := audited(r, tok, "license.activated")
	res, err := retryRaced(order, func() (*issue.Result, error) {
		l := *lic
		return s.pool.License(ctx, &issue.LicenseRequest{
			License: &l, NoRotationGrant: body.NoRotationGrant, Order: order, Out: out,
			AskedAt: func(at time.Time) (*token.License, error) { return body.bound(s, req, at) },
		})
	})
	if err != nil {
		return err
	}
	return s.issuedResponse(w, r, res, "activation")
}
