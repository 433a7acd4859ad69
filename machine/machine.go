package machine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// IDEnv is the environment variable that overrides the machine identity,
// for containers and clusters: set it to the same value on every node
// that shares a license, or to a value that survives container rebuilds.
const IDEnv = "LICET_MACHINE_ID"

// BindingKey is the "bind" entry that carries a machine fingerprint, the
// entry [ActivationRequest.Apply] sets.
const BindingKey = "host"

// Machine identity sources, in the order [Machine.ID] tries them.
const (
	SourceEnv       = "env"        // $LICET_MACHINE_ID
	SourceMachineID = "machine-id" // /etc/machine-id (systemd)
	SourceDBus      = "dbus"       // /var/lib/dbus/machine-id (older distributions)
	SourceHostname  = "hostname"   // os.Hostname
)

// idFiles are read in order; the first non-empty one is the id.
var idFiles = [...]struct{ path, source string }{
	{"/etc/machine-id", SourceMachineID},
	{"/var/lib/dbus/machine-id", SourceDBus},
}

// maxID bounds what is read from an identity source.
const maxID = 1024

// Machine says where the identity of this machine comes from (see
// "Machine identity" in the package documentation). The zero value, and a
// nil *Machine, read the real machine; tests replace the functions.
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
	if v := cleanID(getenv(IDEnv)); v != "" {
		return v, SourceEnv, nil
	}
	var tried []string
	for _, f := range idFiles {
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
	return "", "", fmt.Errorf("machine: no machine identity (set %s): %s", IDEnv, strings.Join(tried, "; "))
}

// Fingerprint returns the machine fingerprint for product, of the id and
// source [Machine.ID] returns (see "Fingerprints" in the package
// documentation for the hash).
func (m *Machine) Fingerprint(product string) (string, error) {
	if product == "" {
		return "", errors.New("machine: fingerprint: empty product id")
	}
	id, source, err := m.ID()
	if err != nil {
		return "", err
	}
	return fingerprint(product, source, id), nil
}

// Fingerprint returns this machine's fingerprint for product, read from the
// real machine: the fingerprint of a zero [Machine].
func Fingerprint(product string) (string, error) {
	return (*Machine)(nil).Fingerprint(product)
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

func firstLine(b []byte) string {
	if len(b) > maxID {
		b = b[:maxID]
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
	if len(s) > maxID || !utf8.ValidString(s) {
		return ""
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	return s
}
