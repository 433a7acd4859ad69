package sdk

import (
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/licet/licet/internal/seatclient"
	"github.com/licet/licet/machine"
	"github.com/licet/licet/verify"
)

// DefaultClockTolerance is how far the clock may go back behind the
// highest time already seen before [Load] reports a clock rollback.
const DefaultClockTolerance = time.Hour

// LicenseFileName is the name of the license file in the per-user
// configuration directory: os.UserConfigDir()/<ConfigDirName>/license.lic.
const LicenseFileName = "license.lic"

// Config is what a product tells [Load]: which keys it trusts, who it is and
// where its license may be. It is a plain value the product builds; the
// package keeps no state of its own.
type Config struct {
	// TrustedKeys holds one or more PEM "PUBLIC KEY" blocks: the vendor's
	// public keys, typically embedded with go:embed. Ignored when KeySet
	// is set.
	TrustedKeys []byte
	// Issuer, when set, is the issuer id the trusted keys of TrustedKeys
	// sign as: a license or revocation list with another iss is refused
	// (wrong_issuer).
	Issuer string
	// KeySet, when set, replaces TrustedKeys and Issuer, for products
	// that need key validity windows or several issuers.
	KeySet *verify.KeySet

	// Product is the product id: a license verifies only if its aud
	// contains it. Required.
	Product string
	// ProductVersion is the running version, checked against a
	// license's "versions" constraint. A license that carries a
	// constraint is refused when it is empty.
	ProductVersion string
	// BuildDate, when set, is the release date of this build, fixed when
	// the build is made (a -ldflags -X variable, a generated file; never
	// the clock or a file the user can edit). A license with perpetual
	// fallback (the "fallback" claim) stays in effect after its expiry
	// and grace for a build released at or before its expiry; Status
	// then reports Fallback and a warning that updates released after
	// the expiry are not covered ([verify.WithBuildDate]).
	BuildDate time.Time

	// LicensePath is the first place to look: a license file in any of
	// the three forms.
	LicensePath string
	// EnvVar names the environment variable looked at second; it holds
	// either a license (compact text or PEM) or the path of a license
	// file. Empty means the product id in upper case with every other
	// character than A-Z and 0-9 turned into '_', followed by
	// "_LICENSE": WIDGET_SERVER_LICENSE for "widget-server". "-" turns
	// the variable off.
	EnvVar string
	// ConfigDirName is the directory under os.UserConfigDir() looked at
	// last, for the file [LicenseFileName]: a single path element. Empty
	// means Product; "-" turns this place off.
	ConfigDirName string

	// RevocationsPath, when set, is a revocation list file, each list
	// signed by a trusted key. It holds one list in any form, or, for a
	// product that trusts several issuers, one list per issuer: PEM
	// blocks (or text tokens) one after another, separated by white
	// space. Each list applies only to its own issuer's licenses (and to
	// licenses minted under that issuer's grants). A missing file is no
	// list, unless a list was seen before (see StatePath): every issuer
	// whose list was seen must keep one, or it is a *ListRollbackError.
	// A malformed or forged list, two lists of one issuer, or a list
	// issued after the current time (beyond the leeway) is a
	// *RevocationsError: nothing is allowed until it is fixed (or, when
	// a good list was taken before, that list stays in effect).
	RevocationsPath string
	// RejectStaleRevocations refuses every license while the revocation
	// list is past its next update, instead of adding a warning.
	RejectStaleRevocations bool

	// StatePath, when set, is a small JSON file (written 0600,
	// atomically) that records the highest time seen, the highest
	// revocation list sequence number and every revocation entry seen,
	// so that a clock set back, or a list that would un-revoke, is caught
	// offline and across restarts. See [ClockRollbackError],
	// [ListRollbackError] and [ListDroppedError].
	StatePath string
	// ClockTolerance is how far the clock may be behind the highest time
	// seen; 0 means DefaultClockTolerance. It is never less than the
	// leeway.
	ClockTolerance time.Duration

	// Tiers is the product's tier ladder, lowest first, for
	// [License.TierAtLeast] and [License.RequireTier]:
	// []string{"free", "pro", "enterprise"}.
	Tiers []string

	// Leeway is the tolerated clock skew on nbf, iat and exp; 0 means
	// verify.DefaultLeeway, a negative value means none.
	Leeway time.Duration
	// Clock is where time comes from; nil means time.Now.
	Clock func() time.Time

	// Machine is where the machine fingerprint comes from; nil reads the
	// real machine (LICET_MACHINE_ID through Getenv). The fingerprint is
	// passed to verification as the "host" binding
	// ([machine.BindingKey]), so a license minted from a
	// [machine.ActivationRequest] verifies here and nowhere else.
	Machine *machine.Machine
	// Binding holds further binding values (or a fixed "host", which then
	// replaces the fingerprint).
	Binding map[string]string

	// ProblemType is the prefix of the "type" URI of the problem+json
	// bodies of the middleware, to which the code is appended; empty means
	// DefaultProblemType. Point it at the product's documentation, for
	// example "https://docs.example.com/licensing#".
	ProblemType string
	// Logger, when set, receives one record (level Info, message
	// "licensing: request refused") for every request the middleware
	// refuses, with the code, status, method, path and the detail: why
	// the license was refused, the scope or tier missing, the limit. The
	// client gets only the code and a generic message ([Problem]), since
	// that detail names fingerprints, products, issuers and limits. Nil
	// logs nothing; [License.Status] and [License.Err] give the same
	// detail to the product.
	Logger *slog.Logger

	// LeaseServer, when set, is the base URL of the site's lease server
	// (`licet seats serve`, "http://seats.lan:7070"): the product runs on
	// a lease of one floating seat. [Load] acquires a lease bound to this
	// machine (or renews the one saved at LeasePath) and verifies it like
	// any license, from the vendor key through the site grant; the License
	// renews it in the background after a third of its life (see
	// [RenewDelay]), acquires a new one when the server has forgotten it,
	// waits for the server's Retry-After when every seat is taken, and
	// keeps the lease it has until its signed expiry while the server
	// cannot be reached; then it allows nothing, as for an expired
	// license. [License.Close] releases the lease. The places above are
	// still looked at after the lease: a borrowed lease saved as the
	// license file keeps a machine off the network running.
	LeaseServer string
	// LeasePath, when set, is a file (written 0600, atomically) that keeps
	// the last lease, so that a restart while the lease server cannot be
	// reached still runs until that lease's signed expiry, and renews it
	// (the same seat) when the server answers.
	LeasePath string
	// LeaseClient is free text sent to the lease server with each
	// acquisition ("client"): a user or host name for its log.
	LeaseClient string
	// LeaseHTTPClient sends the requests to the lease server; nil means
	// a client with a 30 s timeout. For a server whose certificate the
	// system does not trust, [LeaseTLSClient] makes one that trusts the
	// site's CA.
	LeaseHTTPClient *http.Client
	// leaseTick is the longest the lease loop sleeps before it looks at
	// the clock again (tests with a fake clock set it short).
	leaseTick time.Duration

	// Getenv reads environment variables; nil means os.Getenv.
	Getenv func(string) string
	// UserConfigDir returns the per-user configuration directory; nil
	// means os.UserConfigDir.
	UserConfigDir func() (string, error)
}

// ConfigError reports a Config that cannot work: no usable trusted key,
// no product, an invalid version, tier ladder or directory name. It is a
// mistake in the product, not in the license.
type ConfigError struct {
	Field string
	Err   error
}

// Error names the field and the problem.
func (e *ConfigError) Error() string {
	return "sdk: config: " + e.Field + ": " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// settings is a checked Config with its defaults filled in.
type settings struct {
	cfg       Config
	keys      *verify.KeySet
	clock     func() time.Time
	leeway    time.Duration
	tolerance time.Duration
	envVar    string // "" when off
	configDir string // the config-dir candidate path, "" when off
	dirErr    error  // why there is no config-dir candidate
	binding   map[string]string
	fpErr     error // why there is no fingerprint, if there is none
	ranks     map[string]int
}

func (c Config) settings() (*settings, error) {
	s := &settings{cfg: c, clock: c.Clock, leeway: c.Leeway, tolerance: c.ClockTolerance}
	if c.Product == "" {
		return nil, &ConfigError{"Product", errors.New("empty product id")}
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	switch {
	case s.leeway == 0:
		s.leeway = verify.DefaultLeeway
	case s.leeway < 0:
		s.leeway = 0
	}
	if s.tolerance <= 0 {
		s.tolerance = DefaultClockTolerance
	}
	if s.tolerance < s.leeway {
		// A license may be issued up to the leeway in the future; that
		// must not look like a rollback.
		s.tolerance = s.leeway
	}
	if c.KeySet != nil {
		s.keys = c.KeySet
	} else {
		ks, err := parseKeys(c.TrustedKeys, c.Issuer)
		if err != nil {
			return nil, &ConfigError{"TrustedKeys", err}
		}
		s.keys = ks
	}
	if s.keys.Len() == 0 {
		return nil, &ConfigError{"KeySet", errors.New("no trusted keys")}
	}
	s.ranks = make(map[string]int, len(c.Tiers))
	for i, t := range c.Tiers {
		if t == "" {
			return nil, &ConfigError{"Tiers", errors.New("empty tier name")}
		}
		if _, dup := s.ranks[t]; dup {
			return nil, &ConfigError{"Tiers", fmt.Errorf("tier %q listed twice", t)}
		}
		s.ranks[t] = i
	}

	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch c.EnvVar {
	case "-":
	case "":
		s.envVar = DefaultEnvVar(c.Product)
	default:
		s.envVar = c.EnvVar
	}
	if c.ConfigDirName != "-" {
		name := c.ConfigDirName
		if name == "" {
			name = c.Product
		}
		userDir := c.UserConfigDir
		if userDir == nil {
			userDir = os.UserConfigDir
		}
		if name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
			return nil, &ConfigError{"ConfigDirName", fmt.Errorf("directory name %q is not a single path element", name)}
		}
		if dir, err := userDir(); err != nil {
			s.dirErr = err
		} else {
			s.configDir = filepath.Join(dir, name, LicenseFileName)
		}
	}

	if c.LeaseServer != "" {
		if _, err := seatclient.CheckServerURL(c.LeaseServer); err != nil {
			return nil, &ConfigError{"LeaseServer", err}
		}
	}
	if c.LeasePath != "" && c.LeaseServer == "" {
		return nil, &ConfigError{"LeasePath", errors.New("set without LeaseServer")}
	}

	s.binding = make(map[string]string, len(c.Binding)+1)
	if _, fixed := c.Binding[machine.BindingKey]; !fixed {
		m := c.Machine
		if m == nil {
			m = &machine.Machine{Getenv: getenv}
		}
		if fp, err := m.Fingerprint(c.Product); err == nil {
			s.binding[machine.BindingKey] = fp
		} else {
			s.fpErr = err
		}
	}
	for k, v := range c.Binding {
		s.binding[k] = v
	}
	// Check the rest of the configuration once, so that a reload never
	// meets a configuration error.
	if _, err := s.verifier(nil); err != nil {
		return nil, &ConfigError{"ProductVersion", err}
	}
	return s, nil
}

func (s *settings) getenv(name string) string {
	if s.cfg.Getenv != nil {
		return s.cfg.Getenv(name)
	}
	return os.Getenv(name)
}

// verifier returns a verifier for the configuration and lists.
func (s *settings) verifier(lists []*verify.RevocationList) (*verify.Verifier, error) {
	opts := []verify.Option{
		resultCache(), // cache.go: an unchanged license is not verified again in full
		verify.WithProduct(s.cfg.Product),
		verify.WithClock(s.clock),
		verify.WithLeeway(s.leeway),
		verify.WithBinding(s.binding),
	}
	if s.cfg.ProductVersion != "" {
		opts = append(opts, verify.WithProductVersion(s.cfg.ProductVersion))
	}
	if !s.cfg.BuildDate.IsZero() {
		opts = append(opts, verify.WithBuildDate(s.cfg.BuildDate))
	}
	if len(lists) > 0 {
		opts = append(opts, verify.WithRevocations(lists...))
	}
	if s.cfg.RejectStaleRevocations {
		opts = append(opts, verify.RejectStaleRevocations())
	}
	return verify.New(s.keys, opts...)
}

// DefaultEnvVar returns the environment variable [Load] looks at for
// product when Config.EnvVar is empty: "widget-server" gives
// WIDGET_SERVER_LICENSE.
func DefaultEnvVar(product string) string {
	var b strings.Builder
	for _, c := range product {
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteRune(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	b.WriteString("_LICENSE")
	return b.String()
}

// parseKeys reads every PEM block of data as a trusted public key.
func parseKeys(data []byte, issuer string) (*verify.KeySet, error) {
	var keys []verify.Key
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		pub, err := verify.ParsePublicKeyPEM(pem.EncodeToMemory(block))
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", len(keys)+1, err)
		}
		keys = append(keys, verify.Key{PublicKey: pub, Issuer: issuer})
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM \"PUBLIC KEY\" block")
	}
	return verify.NewKeySet(keys...)
}
