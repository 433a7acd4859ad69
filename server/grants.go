package server

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licet/licet/internal/httpserve"
	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/policy"
	"github.com/licet/licet/token"
)

// expiringResponse is the answer of GET /v1/expiring.
type expiringResponse struct {
	Within   string         `json:"within"`
	Licenses []*LicenseView `json:"licenses"`
}

// expiring lists the licenses that expire within a window (default
// 30d), soonest first, leaving out those renewed or revoked.
func (s *Server) expiring(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	q := r.URL.Query()
	if err := checkParams(q, []string{"within", "product", "tier", "partner"}); err != nil {
		return err
	}
	within := q.Get("within")
	if within == "" {
		within = "30d"
	}
	d, err := parseWithin(within)
	if err != nil {
		return badParam("%v", err)
	}
	now := s.now()
	entries, err := s.visible(r.Context(), ledger.Filter{Kind: ledger.KindLicense, Product: q.Get("product"), Tier: q.Get("tier"),
		Partner: q.Get("partner"), ExpiringAfter: now, ExpiringBy: now.Add(d), NotRenewed: true, NotRevoked: true, Now: now, OrderByExpiry: true}, tok)
	if err != nil {
		return err
	}
	views, err := s.views(r.Context(), entries, false)
	if err != nil {
		return err
	}
	resp := expiringResponse{Within: within, Licenses: views}
	httpserve.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// grantRequest is the body of POST /v1/grants.
type grantRequest struct {
	Partner string `json:"partner"`
	// Key is the partner's public key file (ID.pub), as text.
	Key       string            `json:"key"`
	Aud       []string          `json:"aud"`
	Tiers     []string          `json:"tiers"`
	Scopes    []string          `json:"scopes,omitempty"`
	Limits    map[string]uint64 `json:"limits,omitempty"`
	Rights    []string          `json:"rights,omitempty"`
	Versions  string            `json:"versions,omitempty"`
	Days      int               `json:"days,omitempty"`
	Expires   string            `json:"expires,omitempty"`
	NotBefore string            `json:"not_before,omitempty"`
	MaxLife   string            `json:"max_life,omitempty"`
	MaxGrace  string            `json:"max_grace,omitempty"`
	// Order is the order reference, issued once (or the Idempotency-Key
	// header): a retry returns the recorded grant.
	Order string `json:"order,omitempty"`
}

var grantFields = sync.OnceValue(func() map[string]bool {
	return knownFields([]string{"partner", "key", "aud", "tiers", "scopes", "limits", "rights", "versions", "days", "expires", "not_before", "max_life", "max_grace", "order"})
})

// grant builds the grant asked, every problem listed.
func (req *grantRequest) grant(now time.Time) (*token.Grant, []string) {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	g := &token.Grant{Subject: req.Partner, Audience: req.Aud, Tiers: req.Tiers, Scopes: req.Scopes, Limits: req.Limits,
		Rights: req.Rights, Versions: req.Versions, IssuedAt: now}
	if !keys.ValidIssuer(req.Partner) {
		add("partner %q: a partner id is 1 to 64 characters of A-Z a-z 0-9 . _ : @ -", req.Partner)
	}
	pub, err := keys.ParsePublicKey([]byte(req.Key))
	switch {
	case req.Key == "":
		add("key is required: the partner's public key file (ID.pub) as text")
	case err != nil:
		add("key: %v", err)
	case pub.Issuer != "" && pub.Issuer != req.Partner:
		add("key is a key of %q, not of partner %q", pub.Issuer, req.Partner)
	default:
		g.Key = pub.Key
	}
	if len(req.Aud) == 0 {
		add("aud is required: a product the partner may license")
	}
	if len(req.Tiers) == 0 {
		add("tiers is required: the tiers the partner may issue, or [\"*\"]")
	}
	for _, s := range req.Scopes {
		if !token.ValidScope(s) {
			add("scopes: %q is not a scope pattern", s)
		}
	}
	switch {
	case req.Days != 0 && req.Expires != "":
		add("give one of days and expires")
	case req.Days != 0:
		if req.Days < 1 || req.Days > maxDays {
			add("days %d: 1 to %d", req.Days, maxDays)
		}
		g.Expiry = now.Add(time.Duration(req.Days) * 24 * time.Hour)
	case req.Expires != "":
		e, err := parseDate(req.Expires)
		if err != nil || !e.After(now) {
			add("expires %q: a date in the future, YYYY-MM-DD or RFC 3339", req.Expires)
		}
		g.Expiry = e
	default:
		add("days or expires is required: a grant expires")
	}
	if req.NotBefore != "" {
		if nb, err := parseDate(req.NotBefore); err != nil {
			add("not_before %q: YYYY-MM-DD or RFC 3339", req.NotBefore)
		} else {
			g.NotBefore = nb
		}
	}
	for name, dst := range map[string]**time.Duration{"max_life": &g.MaxLife, "max_grace": &g.MaxGrace} {
		v := map[string]string{"max_life": req.MaxLife, "max_grace": req.MaxGrace}[name]
		if v == "" {
			continue
		}
		d, err := policy.ParseDuration(v)
		if err != nil {
			add("%s %q: %v", name, v, err)
			continue
		}
		d = d.Truncate(time.Second)
		*dst = &d
	}
	return g, problems
}

func (s *Server) createGrant(w http.ResponseWriter, r *http.Request, tok *APIToken) error {
	var req grantRequest
	if err := httpserve.DecodeJSON(r, &req, grantFields()); err != nil {
		return err
	}
	order, err := orderOf(r, req.Order)
	if err != nil {
		return err
	}
	g, problems := req.grant(s.now())
	if len(problems) > 0 {
		return invalid(problems)
	}
	check := *g
	check.ID, check.Issuer = make([]byte, token.IDSize), s.cfg.Issuer.Name
	if err := check.Validate(); err != nil {
		return invalid([]string{err.Error()})
	}
	if order != "" {
		if res, err := s.grantOfOrder(r.Context(), order, &req); res != nil || err != nil {
			if err != nil {
				return err
			}
			return s.issuedResponse(w, r, res, "grant")
		}
	}
	rot, err := s.cfg.Issuer.Rotation(r.Context())
	if err != nil {
		return err
	}
	if rot != nil {
		return httpserve.NewProblem(http.StatusConflict, "rotation_current",
			"a key rotation is current: grants are signed by the previous key ('licet grant' signs with it) until it ends")
	}
	res, err := s.cfg.Issuer.GrantOrder(audited(r, tok, "grant.issued"), g, order, out)
	var dup *ledger.DuplicateError
	if order != "" && errors.As(err, &dup) && dup.Field == "order reference" {
		// A concurrent request (here or on another server) recorded the
		// order first: answer as its retry.
		res, err = s.grantOfOrder(r.Context(), order, &req)
		if res == nil && err == nil {
			err = dup
		}
	}
	if err != nil {
		return err
	}
	return s.issuedResponse(w, r, res, "grant")
}

// grantOfOrder returns the grant recorded under order when its terms are
// those of req (asked at the grant's issue time, so that days compare
// equal), nil when the order is not recorded, and an order_conflict
// problem listing the differences otherwise.
func (s *Server) grantOfOrder(ctx context.Context, order string, req *grantRequest) (*issue.Result, error) {
	e, err := s.led.ByOrder(ctx, order)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if e.Kind != ledger.KindGrant {
		p := httpserve.NewProblem(http.StatusConflict, "order_conflict", "order %s was issued as %s %s, not as a grant", order, e.Kind, e.ID)
		p.Problems = []string{fmt.Sprintf("kind: %s vs grant", e.Kind)}
		return nil, p
	}
	m, err := token.ParseMessage(e.Raw)
	if err != nil {
		return nil, err
	}
	rec, err := token.DecodeGrant(m.Payload)
	if err != nil {
		return nil, err
	}
	asked, _ := req.grant(e.IssuedAt)
	if diffs := grantDifferences(rec, asked); len(diffs) > 0 {
		p := httpserve.NewProblem(http.StatusConflict, "order_conflict", "order %s was issued as grant %s with other terms", order, e.ID)
		p.Problems = diffs
		return nil, p
	}
	return &issue.Result{Entry: e, Existing: true}, nil
}

// grantDifferences compares a recorded grant with the one asked, each
// difference as "field: recorded vs asked". The id, issuer and issue
// time are not terms.
func grantDifferences(rec, asked *token.Grant) []string {
	var out []string
	diff := func(field, a, b string) {
		if a != b {
			out = append(out, fmt.Sprintf("%s: %q vs %q", field, a, b))
		}
	}
	words := func(v []string) string { return strings.Join(v, " ") }
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	dur := func(d *time.Duration) string {
		if d == nil {
			return ""
		}
		return d.String()
	}
	diff("partner", rec.Subject, asked.Subject)
	diff("key", hex.EncodeToString(rec.Key), hex.EncodeToString(asked.Key))
	diff("aud", words(rec.Audience), words(asked.Audience))
	diff("tiers", words(rec.Tiers), words(asked.Tiers))
	diff("scopes", words(rec.Scopes), words(asked.Scopes))
	diff("rights", words(rec.Rights), words(asked.Rights))
	diff("versions", rec.Versions, asked.Versions)
	for _, k := range slices.Sorted(maps.Keys(rec.Limits)) {
		if v, ok := asked.Limits[k]; !ok || v != rec.Limits[k] {
			diff("limit "+k, strconv.FormatUint(rec.Limits[k], 10), limitText(v, ok))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(asked.Limits)) {
		if _, ok := rec.Limits[k]; !ok {
			diff("limit "+k, "", strconv.FormatUint(asked.Limits[k], 10))
		}
	}
	diff("exp", date(rec.Expiry), date(asked.Expiry))
	diff("not_before", date(rec.NotBefore), date(asked.NotBefore))
	diff("max_life", dur(rec.MaxLife), dur(asked.MaxLife))
	diff("max_grace", dur(rec.MaxGrace), dur(asked.MaxGrace))
	return out
}

func limitText(v uint64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatUint(v, 10)
}
