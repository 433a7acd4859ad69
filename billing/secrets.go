package billing

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/licet/licet/policy"
)

// maxSecretFile bounds what LoadSecrets reads.
const maxSecretFile = 64 << 10

// LoadSecrets returns the endpoint's signing secrets that the [stripe]
// table names: its secret, or the lines of its secret_file (relative to
// the directory of policyFile; blank lines and lines starting with # are
// skipped). The file must not be readable by group or others. No error
// holds a secret.
func LoadSecrets(st *policy.Stripe, policyFile string) ([]string, error) {
	if st.Secret != "" {
		return []string{st.Secret}, nil
	}
	path := st.SecretFile
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(policyFile), path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("billing: the Stripe secret file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("billing: the Stripe secret file: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("billing: the Stripe secret file %s is readable by others (mode %04o): chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("billing: reading %s: %v", path, err)
	}
	if len(data) > maxSecretFile {
		return nil, fmt.Errorf("billing: the Stripe secret file %s is larger than %d bytes", path, maxSecretFile)
	}
	var secrets []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !policy.ValidStripeSecret(line) {
			return nil, fmt.Errorf("billing: %s line %d is not a webhook signing secret (whsec_...)", path, n)
		}
		secrets = append(secrets, line)
	}
	if len(secrets) == 0 {
		return nil, fmt.Errorf("billing: %s holds no signing secret (whsec_..., one a line)", path)
	}
	return secrets, nil
}
