package sdk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/licet/licet/internal/strictjson"
)

// MachineIDEnv is the environment variable that overrides the machine
// identity, for containers and clusters: set it to the same value on every
// node that shares a license, or to a value that survives container
// rebuilds.
const MachineIDEnv = "LICET_MACHINE_ID"

// BindingKey is the "bind" entry that carries a machine fingerprint, the
// entry a license minted from an [ActivationRequest] carries.
const BindingKey = "host"

// Machine identity sources, in the order [Machine.ID] tries them.
const (
	SourceEnv       = "env"        // $LICET_MACHINE_ID
	SourceMachineID = "machine-id" // /etc/machine-id (systemd)
	SourceDBus      = "dbus"       // /var/lib/dbus/machine-id (older distributions)
	SourceHostname  = "hostname"   // os.Hostname
)

// machineIDFiles are read in order; the first non-empty one is the id.
var machineIDFiles = [...]struct{ path, source string }{
	{"/etc/machine-id", SourceMachineID},
	{"/var/lib/dbus/machine-id", SourceDBus},
}

// maxMachineID bounds what is read from an identity source.
const maxMachineID = 1024

// Machine says where the identity of this machine comes from. The zero
// value, and a nil *Machine, read the real machine; tests replace the
// functions.
//
// The identity is, in this order: the environment variable
// [MachineIDEnv] when it is set and not blank; the first non-empty
// line of /etc/machine-id or /var/lib/dbus/machine-id; the host name.
// In a container /etc/machine-id is often absent or empty and the host
// name is the container's, which changes when it is recreated: set
// LICET_MACHINE_ID (for example from a Kubernetes secret or the cluster
// id) so that the fingerprint stays put.
type Machine struct {
	// Getenv reads an environment variable; nil means os.Getenv.
	Getenv func(string) string
	// ReadFile reads a file; nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Hostname returns the host name; nil means os.Hostname.
	Hostname func() (string, error)
}

// ID returns the raw identity of the machine and the source it came from
// (one of the Source constants). The raw id is never part of a
// fingerprint or request; only its hash is.
func (m *Machine) ID() (id, source string, err error) {
	getenv, readFile, hostname := os.Getenv, os.ReadFile, os.Hostname
	if m != nil {
		if m.Getenv != nil {
			getenv = m.Getenv
		}
		if m.ReadFile != nil {
			readFile = m.ReadFile
		}
		if m.Hostname != nil {
			hostname = m.Hostname
		}
	}
	if v := cleanID(getenv(MachineIDEnv)); v != "" {
		return v, SourceEnv, nil
	}
	var tried []string
	for _, f := range machineIDFiles {
		data, err := readFile(f.path)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", f.path, err))
			continue
		}
		if v := cleanID(firstLine(data)); v != "" {
			return v, f.source, nil
		}
		tried = append(tried, f.path+": empty")
	}
	h, err := hostname()
	if err != nil {
		tried = append(tried, "hostname: "+err.Error())
	} else if v := cleanID(h); v != "" {
		return v, SourceHostname, nil
	} else {
		tried = append(tried, "hostname: empty")
	}
	return "", "", fmt.Errorf("sdk: no machine identity (set %s): %s", MachineIDEnv, strings.Join(tried, "; "))
}

// Fingerprint returns the machine fingerprint for product: lowercase hex
// of SHA-256(label || 0x00 || product || 0x00 || id), where id and its
// source come from [Machine.ID]. The label is "licet machine fingerprint
// v1" when the id comes from the machine itself ([SourceMachineID],
// [SourceDBus], [SourceHostname]) and "licet machine fingerprint v1 env"
// when it comes from the [MachineIDEnv] override ([SourceEnv]). The
// product makes fingerprints of one machine differ between products; the
// hash keeps the raw machine id on the machine; the label makes the value
// an environment override gives differ from the one the machine's own id
// gives, so that copying /etc/machine-id into LICET_MACHINE_ID on another
// machine does not reproduce a fingerprint (see "Machine binding" in the
// package documentation for what binding does and does not stop).
func (m *Machine) Fingerprint(product string) (string, error) {
	if product == "" {
		return "", errors.New("sdk: fingerprint: empty product id")
	}
	id, source, err := m.ID()
	if err != nil {
		return "", err
	}
	return fingerprint(product, source, id), nil
}

// Labels of the fingerprint hash, by source class.
const (
	labelMachine = "licet machine fingerprint v1"
	labelEnv     = "licet machine fingerprint v1 env"
)

func fingerprint(product, source, id string) string {
	label := labelMachine
	if source == SourceEnv {
		label = labelEnv
	}
	h := sha256.New()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(product))
	h.Write([]byte{0})
	h.Write([]byte(id))
	return hex.EncodeToString(h.Sum(nil))
}

// Fingerprint returns this machine's fingerprint for product, read from the
// real machine; see [Machine] for the sources and [Machine.Fingerprint] for
// the hash.
func Fingerprint(product string) (string, error) {
	return (*Machine)(nil).Fingerprint(product)
}

func firstLine(b []byte) string {
	if len(b) > maxMachineID {
		b = b[:maxMachineID]
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// cleanID trims white space and refuses what is not printable text: a
// binary file or a control character is no identity.
func cleanID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxMachineID || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	return s
}

// ActivationRequestVersion is the version of the [ActivationRequest]
// format written by this package.
const ActivationRequestVersion = 1

// maxActivationRequest bounds the size of a request that is parsed.
const maxActivationRequest = 64 << 10

// ActivationRequest is what an air-gapped site sends to the vendor so
// that the vendor can mint a license bound to the machine: `licet activate
// request` writes it as JSON, `licet mint --from-request` reads it and
// copies [ActivationRequest.Bind] into the license's "bind" claim. It holds
// no secret and no raw machine id:
//
//	{
//	  "version": 1,
//	  "product": "widget-server",
//	  "fingerprint": "3f1c...64 hex digits",
//	  "source": "machine-id",
//	  "created": "2026-06-01T12:00:00Z"
//	}
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
// machine, dated now.
func NewActivationRequest(product string) (*ActivationRequest, error) {
	return (*Machine)(nil).ActivationRequest(product, time.Now())
}

// ActivationRequest returns the activation request for product on m,
// dated now.
func (m *Machine) ActivationRequest(product string, now time.Time) (*ActivationRequest, error) {
	if product == "" {
		return nil, errors.New("sdk: activation request: empty product id")
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

// Bind returns the "bind" claim a license for this request carries.
func (r *ActivationRequest) Bind() map[string]string {
	return map[string]string{BindingKey: r.Fingerprint}
}

// Validate checks a request read from elsewhere: known version, a product
// id of printable text (no control or format character, no surrounding
// space), a fingerprint of 64 lowercase hex digits and a known source.
func (r *ActivationRequest) Validate() error {
	switch {
	case r.Version != ActivationRequestVersion:
		return fmt.Errorf("sdk: activation request version %d, want %d", r.Version, ActivationRequestVersion)
	case r.Product == "":
		return errors.New("sdk: activation request has no product")
	case !utf8.ValidString(r.Product) || !printable(r.Product) || strings.TrimSpace(r.Product) != r.Product:
		return fmt.Errorf("sdk: activation request product %q holds control, format or surrounding space characters: no product id does", r.Product)
	case !isLowerHex(r.Fingerprint, sha256.Size*2):
		return errors.New("sdk: activation request fingerprint is not 64 lowercase hex digits")
	}
	switch r.Source {
	case SourceEnv, SourceMachineID, SourceDBus, SourceHostname:
	default:
		return fmt.Errorf("sdk: activation request source %q is unknown", r.Source)
	}
	return nil
}

// MarshalIndent returns the request as indented JSON with a final newline,
// the file `licet activate request` writes.
func (r *ActivationRequest) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sdk: encoding activation request: %w", err)
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
// named twice, trailing data and requests over 64 KiB are refused, so that
// what a person reads in the file is what the license is minted for.
func ParseActivationRequest(data []byte) (*ActivationRequest, error) {
	if len(data) > maxActivationRequest {
		return nil, fmt.Errorf("sdk: activation request is %d bytes, more than %d", len(data), maxActivationRequest)
	}
	if err := strictjson.CheckFields(data, requestFields); err != nil {
		return nil, fmt.Errorf("sdk: parsing activation request: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r ActivationRequest
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("sdk: parsing activation request: %w", err)
	}
	if err := dec.Decode(new(json.RawMessage)); err != io.EOF {
		return nil, errors.New("sdk: parsing activation request: data after the JSON object")
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
