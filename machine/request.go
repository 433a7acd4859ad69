package machine

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/licet/licet/internal/strictjson"
	"github.com/licet/licet/token"
)

// ActivationRequestVersion is the version of the [ActivationRequest]
// format written by this package.
const ActivationRequestVersion = 1

// MaxActivationRequest is the size of the largest request
// [ParseActivationRequest] accepts.
const MaxActivationRequest = 64 << 10

// ActivationRequest is what an air-gapped site sends to the vendor so
// that the vendor can mint a license bound to the machine (see
// "Activation requests" in the package documentation for the JSON form).
type ActivationRequest struct {
	// Version is ActivationRequestVersion.
	Version int `json:"version"`
	// Product is the product id the license is for (its aud).
	Product string `json:"product"`
	// Fingerprint is the machine fingerprint for Product.
	Fingerprint string `json:"fingerprint"`
	// Source names where the machine identity came from (SourceEnv, ...),
	// so that support can tell a container override from a machine id.
	Source string `json:"source"`
	// Created is when the request was made, in UTC, to the second.
	Created time.Time `json:"created"`
}

// NewActivationRequest returns the activation request for product on this
// machine (a zero [Machine]), dated now.
func NewActivationRequest(product string) (*ActivationRequest, error) {
	return (*Machine)(nil).ActivationRequest(product, time.Now())
}

// ActivationRequest returns the activation request for product on m,
// dated now.
func (m *Machine) ActivationRequest(product string, now time.Time) (*ActivationRequest, error) {
	if product == "" {
		return nil, errors.New("machine: activation request: empty product id")
	}
	id, source, err := m.ID()
	if err != nil {
		return nil, err
	}
	return &ActivationRequest{
		Version:     ActivationRequestVersion,
		Product:     product,
		Fingerprint: fingerprint(product, source, id),
		Source:      source,
		Created:     now.UTC().Truncate(time.Second),
	}, nil
}

// Validate checks a request read from elsewhere: known version, a product
// id of printable text (no control or format character, no surrounding
// space), a fingerprint of 64 lowercase hex digits and a known source.
func (r *ActivationRequest) Validate() error {
	switch {
	case r.Version != ActivationRequestVersion:
		return fmt.Errorf("machine: activation request version %d, want %d", r.Version, ActivationRequestVersion)
	case r.Product == "":
		return errors.New("machine: activation request has no product")
	case !utf8.ValidString(r.Product) || !printable(r.Product) || strings.TrimSpace(r.Product) != r.Product:
		return fmt.Errorf("machine: activation request product %q holds control, format or surrounding space characters: no product id does", r.Product)
	case !isLowerHex(r.Fingerprint, sha256.Size*2):
		return errors.New("machine: activation request fingerprint is not 64 lowercase hex digits")
	}
	switch r.Source {
	case SourceEnv, SourceMachineID, SourceDBus, SourceHostname:
	default:
		return fmt.Errorf("machine: activation request source %q is unknown", r.Source)
	}
	return nil
}

// ConflictError is the error [ActivationRequest.Apply] returns when the
// license already says something the request contradicts. Each field is
// set only for its own conflict.
type ConflictError struct {
	// Product is the request's product.
	Product string
	// Audience is the license's audience when it does not name Product.
	Audience []string
	// Fingerprint is the request's fingerprint.
	Fingerprint string
	// Bind is the license's "host" binding when it is another
	// fingerprint.
	Bind string
}

// Error names each conflict.
func (e *ConflictError) Error() string {
	var parts []string
	if e.Audience != nil {
		parts = append(parts, fmt.Sprintf("the license's products %q do not include %q, the request's", e.Audience, e.Product))
	}
	if e.Bind != "" {
		parts = append(parts, fmt.Sprintf("the license binds %s=%q, the request %s=%q", BindingKey, e.Bind, BindingKey, e.Fingerprint))
	}
	return "machine: the license conflicts with the activation request: " + strings.Join(parts, "; ")
}

// Apply binds lic to the machine of r, as `licet mint --from-request`
// does: a license that names no product gets r's product as its audience
// (a license that names products must name r's), and r's fingerprint
// becomes the license's [BindingKey] binding (a license already bound to
// another fingerprint is a conflict). Other bindings are kept. On a
// conflict Apply returns a *[ConflictError] and leaves lic unchanged; an
// invalid r is an error too.
func (r *ActivationRequest) Apply(lic *token.License) error {
	if err := r.Validate(); err != nil {
		return err
	}
	conflict := &ConflictError{Product: r.Product, Fingerprint: r.Fingerprint}
	bad := false
	if len(lic.Audience) > 0 && !slices.Contains(lic.Audience, r.Product) {
		conflict.Audience, bad = slices.Clone(lic.Audience), true
	}
	if have, ok := lic.Bind[BindingKey]; ok && have != r.Fingerprint {
		conflict.Bind, bad = have, true
	}
	if bad {
		return conflict
	}
	if len(lic.Audience) == 0 {
		lic.Audience = []string{r.Product}
	}
	if lic.Bind == nil {
		lic.Bind = make(map[string]string, 1)
	}
	lic.Bind[BindingKey] = r.Fingerprint
	return nil
}

// MarshalIndent returns the request as indented JSON with a final newline,
// the file `licet activate request` writes.
func (r *ActivationRequest) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("machine: encoding activation request: %w", err)
	}
	return append(b, '\n'), nil
}

// requestFields are the member names of an activation request, spelt
// exactly so: encoding/json alone would also take "Product" or "PRODUCT",
// and keep the last of two "product" members while another reader of the
// same file shows the first.
var requestFields = map[string]bool{
	"version": true, "product": true, "fingerprint": true, "source": true, "created": true,
}

// ParseActivationRequest decodes and validates a request written by
// [ActivationRequest.MarshalIndent]. Member names are taken only in their
// documented spelling (letter case included); an unknown member, a member
// named twice, trailing data and requests over [MaxActivationRequest]
// bytes are refused, so that what a person reads in the file is what the
// license is minted for.
func ParseActivationRequest(data []byte) (*ActivationRequest, error) {
	if len(data) > MaxActivationRequest {
		return nil, fmt.Errorf("machine: activation request is %d bytes, more than %d", len(data), MaxActivationRequest)
	}
	if err := strictjson.CheckFields(data, requestFields); err != nil {
		return nil, fmt.Errorf("machine: parsing activation request: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r ActivationRequest
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("machine: parsing activation request: %w", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, errors.New("machine: parsing activation request: data after the JSON object")
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// printable reports whether s holds no control or format character
// (unicode.Cc, unicode.Cf: line breaks, escape sequences, bidirectional
// overrides) and no line or paragraph separator: text that shows as what
// it is on a terminal.
func printable(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
