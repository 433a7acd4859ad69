package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// createRequest is the body of POST /v1/licenses.
type createRequest struct {
	Terms
	// Order is the order reference, issued once.
	Order           string `json:"order,omitempty"`
	NoRotationGrant bool   `json:"no_rotation_grant,omitempty"`
}

var createFields = sync.OnceValue(func() map[string]bool {
	return knownFields(termsFields, []string{"order", "no_rotation_grant"})
})

// out is where the API's tokens go: nowhere but the response, recorded
// written with the token (no second transaction marks it).
var out = issue.Out{Reply: true, Encode: func(e *ledger.Entry) ([]byte, error) {
	s, err := token.EncodeText(e.Raw, "")
	return []byte(s), err
}}

// orderOf returns the order reference of a request: the body's order, or
// else the Idempotency-Key header, namespaced so that it never names a
// real order.
func orderOf(r *http.Request, order string) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	switch {
	case order != "":
		if err := checkRef("order", order); err != nil {
			return "", err
		}
		return order, nil
	case key != "":
		if err := checkRef("Idempotency-Key", key); err != nil {
			return "", err
		}
		return "idempotency-key:" + key, nil
	}
	return "", nil
}

func checkRef(what, ref string) error {
	if strings.TrimSpace(ref) == "" || len(ref) > 100 || strings.IndexFunc(ref, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return invalid([]string{fmt.Sprintf("%s %q: 1 to 100 characters, no control characters", what, ref)})
	}
	return nil
}

// validate checks the terms as the signer will (a copy with id and
// issuer set), so that nothing reaches the issuing path that it would
// refuse after the fact.
func (s *Server) validate(lic *token.License) error {
	l := *lic
	l.ID, l.Issuer = make([]byte, token.IDSize), s.cfg.Issuer.Name
	if err := l.Validate(); err != nil {
		return invalid(strings.Split(strings.TrimPrefix(err.Error(), "token: "), "; "))
	}
	return nil
}

func (s *Server) createLicense(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	var req createRequest
	if err := httpserve.DecodeJSON(r, &req, createFields()); err != nil {
		return err
	}
	order, err := orderOf(r, req.Order)
	if err != nil {
		return err
	}
	now := s.now()
	lic, problems := req.license(s.cfg.Policy, now)
	if len(problems) > 0 {
		return invalid(problems)
	}
	if err := s.validate(lic); err != nil {
		return err
	}
	ctx := audited(r, tok, "license.issued")
	res, err := retryRaced(order, func() (*issue.Result, error) {
		l := *lic
		// Through the pool: concurrent mints share one ledger transaction.
		return s.pool.License(ctx, &issue.LicenseRequest{
			License: &l, NoRotationGrant: req.NoRotationGrant, Order: order, Out: out,
			AskedAt: func(at time.Time) (*token.License, error) {
				l, p := req.license(s.cfg.Policy, at)
				if len(p) > 0 {
					return nil, invalid(p)
				}
				return l, nil
			},
		})
	})
	if err != nil {
		return err
	}
	return s.issuedResponse(w, r, res, "license")
}

// audited returns the request's context carrying who makes the change
// (the token) and what it is: the issuing path records both in the
// ledger's transaction (ledger.Audit, table serve_audit), so that no
// change exists without its audit row.
func audited(r *http.Request, tok *APIToken, action string) context.Context {
	return ledger.WithAudit(r.Context(), &ledger.Audit{Actor: tok.ID, Action: action})
}

// issuedResponse writes the license (or grant): 201 when signed now, 200
// when an order came back.
func (s *Server) issuedResponse(w http.ResponseWriter, r *http.Request, res *issue.Result, kind string) error {
	status := http.StatusCreated
	if res.Existing {
		status = http.StatusOK
	} else {
		s.issued.WithLabelValues(kind).Inc()
	}
	v, err := view(res.Entry, true)
	if err != nil {
		return err
	}
	v.Existing = res.Existing
	if st := res.Entry.State; st != nil && !res.Existing { // read by the pool, with its group's
		v.State = stateOf(st)
	} else if err := s.withStates(r.Context(), []*LicenseView{v}, []*ledger.Entry{res.Entry}); err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/licenses/"+res.Entry.ID)
	httpserve.WriteJSON(w, status, v)
	return nil
}

// find returns the license or grant that the path's {id} names (an id,
// a unique prefix or an order reference) and that tok may see.
func (s *Server) find(ctx context.Context, ref string, tok *APIToken) (*ledger.Entry, error) {
	e, err := issue.Find(ctx, s.led, ref)
	if err != nil {
		return nil, err
	}
	if e.Kind == ledger.KindRevocations || !s.sees(tok, e) {
		return nil, ledger.ErrNotFound
	}
	return e, nil
}

// sees reports whether tok may see e: a partner token sees only the
// licenses of its grant (and the grant).
func (s *Server) sees(tok *APIToken, e *ledger.Entry) bool {
	g := tok.Role.Grant()
	return g == "" || e.GrantID == g || e.Kind == ledger.KindGrant && e.ID == g
}

func (s *Server) getLicense(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	e, err := s.find(r.Context(), r.PathValue("id"), tok)
	if err != nil {
		return err
	}
	v, err := view(e, true)
	if err != nil {
		return err
	}
	if err := s.withStates(r.Context(), []*LicenseView{v}, []*ledger.Entry{e}); err != nil {
		return err
	}
	httpserve.WriteJSON(w, http.StatusOK, v)
	return nil
}

// listParams are the query parameters of GET /v1/licenses.
var listParams = []string{"sub", "name", "order", "tier", "partner", "product", "kid", "renewed_from", "expires_before", "expires_after", "not_renewed", "not_revoked", "unwritten", "kind", "limit", "cursor"}

const (
	defaultPage = 50
	maxPage     = 500
)

// listPage is a page of GET /v1/licenses.
type listPage struct {
	Licenses []*LicenseView `json:"licenses"`
	// NextCursor, when set, is the cursor of the next page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// checkParams refuses query parameters not in known, and repeated ones.
func checkParams(q url.Values, known []string) error {
	for k, v := range q {
		if !slices.Contains(known, k) {
			return httpserve.NewProblem(http.StatusBadRequest, "unknown_parameter", "unknown query parameter %q: use %s", k, strings.Join(known, ", "))
		}
		if len(v) > 1 {
			return httpserve.NewProblem(http.StatusBadRequest, "repeated_parameter", "query parameter %q is given %d times", k, len(v))
		}
	}
	return nil
}

func badParam(format string, args ...any) error {
	return httpserve.NewProblem(http.StatusBadRequest, "bad_parameter", format, args...)
}

// filterOf reads the ledger filter of a list request.
func filterOf(q url.Values) (ledger.Filter, error) {
	f := ledger.Filter{Kind: ledger.KindLicense, Subject: q.Get("sub"), Tier: q.Get("tier"), Partner: q.Get("partner"),
		Product: q.Get("product"), KID: q.Get("kid"), RenewedFrom: q.Get("renewed_from"), OrderRef: q.Get("order"), SubjectContains: q.Get("name")}
	if k := q.Get("kind"); k != "" {
		if k != "license" && k != "grant" {
			return f, badParam("kind %q: license or grant", k)
		}
		f.Kind = ledger.Kind(k)
	}
	for name, dst := range map[string]*time.Time{"expires_before": &f.ExpiringBy, "expires_after": &f.ExpiringAfter} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				if t, err = time.Parse("2006-01-02", v); err != nil {
					return f, badParam("%s %q: RFC 3339 or YYYY-MM-DD", name, v)
				}
			}
			*dst = t
		}
	}
	for name, dst := range map[string]*bool{"not_renewed": &f.NotRenewed, "not_revoked": &f.NotRevoked, "unwritten": &f.Unwritten} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, badParam("%s %q: true or false", name, v)
			}
			*dst = b
		}
	}
	return f, nil
}

// pageOf reads limit and cursor. The cursor is the position after the
// previous page: the ledger only appends, so positions in the order of
// recording are stable.
func pageOf(q url.Values) (limit, offset int, err error) {
	limit = defaultPage
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxPage {
			return 0, 0, badParam("limit %q: 1 to %d", v, maxPage)
		}
	}
	if v := q.Get("cursor"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(b), "o"))
		if err != nil || perr != nil || !strings.HasPrefix(string(b), "o") || n < 0 {
			return 0, 0, badParam("cursor %q is not one this server returned", v)
		}
		offset = n
	}
	return limit, offset, nil
}

func cursorAt(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o" + strconv.Itoa(n)))
}

func (s *Server) listLicenses(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	q := r.URL.Query()
	if err := checkParams(q, listParams); err != nil {
		return err
	}
	f, err := filterOf(q)
	if err != nil {
		return err
	}
	limit, offset, err := pageOf(q)
	if err != nil {
		return err
	}
	if tok.Role.Grant() == "" {
		// Read no further than the page and one more (is there a next
		// page?); a partner's entries are narrowed after reading.
		f.Limit = offset + limit + 1
	}
	entries, err := s.visible(r.Context(), f, tok)
	if err != nil {
		return err
	}
	page := listPage{Licenses: []*LicenseView{}}
	if offset < len(entries) {
		end := min(offset+limit, len(entries))
		if page.Licenses, err = s.views(r.Context(), entries[offset:end], false); err != nil {
			return err
		}
		if end < len(entries) {
			page.NextCursor = cursorAt(end)
		}
	}
	httpserve.WriteJSON(w, http.StatusOK, page)
	return nil
}

// visible lists the entries of f that tok may see.
func (s *Server) visible(ctx context.Context, f ledger.Filter, tok *APIToken) ([]*ledger.Entry, error) {
	entries, err := s.led.List(ctx, f)
	if err != nil {
		return nil, err
	}
	if tok.Role.Grant() != "" {
		entries = slices.DeleteFunc(entries, func(e *ledger.Entry) bool { return !s.sees(tok, e) })
	}
	return entries, nil
}

// views returns the views of entries with their states.
func (s *Server) views(ctx context.Context, entries []*ledger.Entry, withToken bool) ([]*LicenseView, error) {
	out := make([]*LicenseView, 0, len(entries))
	for _, e := range entries {
		v, err := view(e, withToken)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, s.withStates(ctx, out, entries)
}

// renewRequest is the body of POST /v1/licenses/{id}/renew.
type renewRequest struct {
	Days            int               `json:"days,omitempty"`
	Expires         string            `json:"expires,omitempty"`
	Order           string            `json:"order,omitempty"`
	Tier            string            `json:"tier,omitempty"`
	Limits          map[string]uint64 `json:"limits,omitempty"`
	NoRotationGrant bool              `json:"no_rotation_grant,omitempty"`
}

var renewFields = sync.OnceValue(func() map[string]bool {
	return knownFields([]string{"days", "expires", "order", "tier", "limits", "no_rotation_grant"})
})

func (s *Server) renewLicense(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	var req renewRequest
	if err := httpserve.DecodeJSON(r, &req, renewFields()); err != nil {
		return err
	}
	order, err := orderOf(r, req.Order)
	if err != nil {
		return err
	}
	old, err := s.find(r.Context(), r.PathValue("id"), tok)
	if err != nil {
		return err
	}
	if old.Kind != ledger.KindLicense {
		return httpserve.NewProblem(http.StatusConflict, "not_a_license", "%s is a %s, not a license", old.ID, old.Kind)
	}
	now := s.now()
	var expiry time.Time
	var problems []string
	switch {
	case req.Days != 0 && req.Expires != "":
		problems = append(problems, "give one of days and expires")
	case req.Days != 0:
		if req.Days < 1 || req.Days > maxDays {
			problems = append(problems, fmt.Sprintf("days %d: 1 to %d", req.Days, maxDays))
		}
		expiry = issue.RenewalStart(old, now).Add(time.Duration(req.Days) * 24 * time.Hour)
	case req.Expires != "":
		e, err := parseDate(req.Expires)
		if err != nil || !e.After(now) {
			problems = append(problems, fmt.Sprintf("expires %q: a date in the future, YYYY-MM-DD or RFC 3339", req.Expires))
		}
		expiry = e
	default:
		problems = append(problems, "days or expires is required: the renewal's term")
	}
	if len(problems) > 0 {
		return invalid(problems)
	}
	ctx := audited(r, tok, "license.renewed")
	res, err := retryRaced(order, func() (*issue.Result, error) {
		return s.cfg.Issuer.Renew(ctx, &issue.RenewRequest{
			Old: old, Expiry: expiry, Order: order, NoRotationGrant: req.NoRotationGrant, Out: out,
			Change: func(l *token.License) error {
				if req.Tier != "" {
					l.Tier = req.Tier
				}
				for k, v := range req.Limits {
					l.Limits = setMap(l.Limits, k, v)
				}
				return nil
			},
		})
	})
	if err != nil {
		return err
	}
	return s.issuedResponse(w, r, res, "renewal")
}

// retryRaced runs run once more when it lost a race for its order: a
// concurrent request with the same order (or Idempotency-Key) recorded
// first, so the second run finds that license and returns it (or a
// conflict when its terms differ).
func retryRaced(order string, run func() (*issue.Result, error)) (*issue.Result, error) {
	res, err := run()
	var dup *ledger.DuplicateError
	if order != "" && errors.As(err, &dup) && dup.Field == "order reference" {
		return run()
	}
	return res, err
}
