package usage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/licet/licet/internal/reportfile"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/verify"
)

// A store is the vendor's directory of ingested usage reports: one
// directory per site grant (its id in hex), holding the grant ("grant")
// and every report accepted, byte for byte, numbered in order
// (000001.report, 000002.report, ...), mode 0600 in directories of mode
// 0700. A report is only ever added, never replaced: the store is the
// vendor's copy of each site's signed log.

// grantFile is the name of the site grant in a grant's directory.
const grantFile = "grant"

// Ingest checks a usage report (data, from source) against what the
// store in dir holds for the site grant grantRaw (any form, signed by
// vendor) and, when [History.Add] accepts it, adds it to the store.
// Evidence of a fork is written to the grant's directory.
func Ingest(dir string, vendor verify.Key, grantRaw, data []byte, source string) (*History, *Accepted, error) {
	h, err := NewHistory(vendor, grantRaw)
	if err != nil {
		return nil, nil, err
	}
	gdir := filepath.Join(dir, h.GrantID)
	switch stored, err := os.ReadFile(filepath.Join(gdir, grantFile)); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("usage: the store: %v", err)
	case !bytes.Equal(stored, h.GrantRaw):
		return nil, nil, fmt.Errorf("usage: the store %s holds another grant with the id %s: the store was modified", gdir, h.GrantID)
	}
	if err := h.load(gdir); err != nil {
		return nil, nil, err
	}
	h.EvidenceDir = gdir
	a, err := h.Add(data, source)
	if err != nil {
		return h, nil, err
	}
	if len(a.Events) == 0 && len(h.Reports) > 1 { // nothing new: nothing to keep
		return h, a, nil
	}
	// Accepted: the grant's directory and grant, if new, then the report.
	if err := os.MkdirAll(gdir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("usage: the store: %v", err)
	}
	if err := keys.WriteFile(filepath.Join(gdir, grantFile), h.GrantRaw, 0o600, false); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, nil, fmt.Errorf("usage: the store: %v", err)
	}
	name := filepath.Join(gdir, fmt.Sprintf("%06d.report", len(h.Reports)))
	if err := keys.WriteFile(name, data, 0o600, false); errors.Is(err, fs.ErrExist) {
		return h, nil, fmt.Errorf("usage: another ingest for grant %s ran at the same time (%s exists now): run this one again", h.GrantID, name)
	} else if err != nil {
		return h, nil, fmt.Errorf("usage: the store: %v", err)
	}
	return h, a, nil
}

// Load returns the history that the store in dir holds for the grant
// with id grantID (hex): the reports accepted, read back without
// re-verifying their lease tokens (they were at ingestion), but each
// checked to continue the ones before it.
func Load(dir, grantID string) (*History, error) {
	gdir := filepath.Join(dir, strings.ToLower(grantID))
	raw, err := os.ReadFile(filepath.Join(gdir, grantFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("usage: the store %s holds no report of grant %s", dir, grantID)
	} else if err != nil {
		return nil, fmt.Errorf("usage: the store: %v", err)
	}
	h, err := newStoredHistory(raw)
	if err != nil {
		return nil, fmt.Errorf("usage: the store %s: %s", gdir, strings.TrimPrefix(err.Error(), "usage: "))
	}
	return h, h.load(gdir)
}

// Grants returns the ids of the site grants with a directory in the
// store dir, sorted.
func Grants(dir string) ([]string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("usage: the store: %w", err)
	}
	var out []string
	for _, de := range des {
		if de.IsDir() && reportfile.IsHex(de.Name(), 32) {
			if _, err := os.Stat(filepath.Join(dir, de.Name(), grantFile)); err == nil {
				out = append(out, de.Name())
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// load adds the stored reports of gdir to h, each checked to continue
// the ones before (a trusted replay: no lease token is verified again).
func (h *History) load(gdir string) error {
	h.trusted = true
	defer func() { h.trusted = false }()
	for i := 1; ; i++ {
		name := filepath.Join(gdir, fmt.Sprintf("%06d.report", i))
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("usage: the store: %v", err)
		}
		if _, err := h.Add(data, name); err != nil {
			return fmt.Errorf("usage: the stored report %s does not continue the ones before it (the store was modified): %s", name, strings.TrimPrefix(err.Error(), "usage: "))
		}
	}
}
