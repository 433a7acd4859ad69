package sdk_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/licet/licet/sdk"
	"github.com/licet/licet/token"
	"github.com/licet/licet/verify"
)

// stateFile is the state file's content as the tests read it.
type stateFile struct {
	Version   int               `json:"version"`
	HighWater int64             `json:"high_water"`
	Seq       map[string]uint64 `json:"revocation_seq"`
	Revoked   map[string]struct {
		Listed []string `json:"listed"`
		Kept   []string `json:"kept"`
	} `json:"revoked"`
}

func readStateFile(t *testing.T, path string) stateFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state file: %v\n%s", err, data)
	}
	return st
}

func TestStateFileWritten(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.StatePath = filepath.Join(v.dir, "state", "licet-state.json")
	cfg.RevocationsPath = v.path("revoked.pem")
	write(t, cfg.RevocationsPath, v.revocations(7, t0.Add(-time.Hour)))
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)

	st := readStateFile(t, cfg.StatePath)
	if st.Version != 2 || st.HighWater != t0.Unix() || st.Seq["acme"] != 7 || st.Revoked["acme"].Listed == nil {
		t.Errorf("state = %+v", st)
	}
	fi, err := os.Stat(cfg.StatePath)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	// No temporary file left behind.
	entries, _ := os.ReadDir(filepath.Dir(cfg.StatePath))
	if len(entries) != 1 {
		t.Errorf("state directory holds %d entries, want 1", len(entries))
	}

	// A poll moments later does not write; one an hour later does.
	v.clock.Add(10 * time.Second)
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := readStateFile(t, cfg.StatePath).HighWater; got != t0.Unix() {
		t.Errorf("high water %d rewritten after 10 s", got)
	}
	v.clock.Add(time.Hour)
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := readStateFile(t, cfg.StatePath).HighWater; got != t0.Add(time.Hour+10*time.Second).Unix() {
		t.Errorf("high water %d, want the time of the last check", got)
	}
	// A newer list raises the seq at once.
	write(t, cfg.RevocationsPath, v.revocations(8, t0))
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := readStateFile(t, cfg.StatePath).Seq["acme"]; got != 8 {
		t.Errorf("seq %d, want 8", got)
	}
}

func TestStateHighWaterFromSignedTimes(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.StatePath = v.path("state.json")
	// Issued two minutes in the future (vendor's clock ahead, within leeway).
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.IssuedAt = t0.Add(2 * time.Minute) })))
	mustLoad(t, cfg)
	if got := readStateFile(t, cfg.StatePath).HighWater; got != t0.Add(2*time.Minute).Unix() {
		t.Errorf("high water %d, want the license's iat", got)
	}
}

func TestClockRollback(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.StatePath = v.path("state.json")
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	hw := t0.Add(30 * 24 * time.Hour)
	write(t, cfg.StatePath, []byte(`{"version": 1, "high_water": `+itoa(hw.Unix())+`}`))

	tests := []struct {
		name      string
		now       time.Time
		tolerance time.Duration
		rollback  bool
	}{
		{"far behind", t0, 0, true},
		{"just beyond the default tolerance", hw.Add(-time.Hour - time.Second), 0, true},
		{"within the default tolerance", hw.Add(-time.Hour), 0, false},
		{"within a larger tolerance", t0, 31 * 24 * time.Hour, false},
		{"ahead", hw.Add(time.Hour), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, cfg.StatePath, []byte(`{"version": 1, "high_water": `+itoa(hw.Unix())+`}`))
			v.clock.Set(tt.now)
			c := cfg
			c.ClockTolerance = tt.tolerance
			lic, err := sdk.Load(c)
			if !tt.rollback {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var ce *sdk.ClockRollbackError
			if !errors.As(err, &ce) || !errors.Is(err, sdk.ErrClockRollback) || errors.Is(err, sdk.ErrListRollback) {
				t.Fatalf("err = %v, want a clock rollback", err)
			}
			if !ce.Now.Equal(tt.now) || !ce.HighWater.Equal(hw) || ce.Tolerance != time.Hour {
				t.Errorf("error fields %+v", ce)
			}
			if lic.Allows("api:read") || sdk.CodeOf(lic.Err()) != sdk.CodeClockRollback {
				t.Error("rollback allows")
			}
			if !strings.Contains(err.Error(), "sdk: clock rollback: the clock says") {
				t.Errorf("message %q", err)
			}
		})
	}
}

// TestToleranceAtLeastLeeway: a license issued within the leeway in the
// future raises the high-water mark, and a tolerance set below the leeway
// must not turn that into a rollback.
func TestToleranceAtLeastLeeway(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.ClockTolerance = time.Second
	write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.IssuedAt = t0.Add(4 * time.Minute) })))
	lic := mustLoad(t, cfg)
	if err := lic.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	v.clock.Add(-verify.DefaultLeeway + 4*time.Minute - time.Second) // 1 s beyond iat - leeway
	if err := lic.Reload(); !errors.Is(err, sdk.ErrClockRollback) {
		t.Fatalf("Reload beyond the leeway: %v", err)
	}
}

func TestClockRollbackWhileRunning(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config() // no state file: the process's memory is the state
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)
	v.clock.Add(10 * 24 * time.Hour)
	if err := lic.Reload(); err != nil {
		t.Fatal(err)
	}
	v.clock.Add(-5 * 24 * time.Hour)
	err := lic.Reload()
	if !errors.Is(err, sdk.ErrClockRollback) || lic.Allows("api:read") {
		t.Fatalf("clock set back 5 days while running: %v", err)
	}
	v.clock.Add(5 * 24 * time.Hour)
	if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
		t.Fatalf("clock set right again: %v", err)
	}
}

func TestCorruptState(t *testing.T) {
	v := newVendor(t, "vendor")
	tests := []struct {
		name, content, want string
	}{
		{"not JSON", "\x00\xffgarbage", "corrupt"},
		{"truncated", `{"version": 1, "high_wa`, "corrupt"},
		{"empty", ``, "corrupt"},
		{"unknown field", `{"version": 1, "high_water": 5, "extra": true}`, "corrupt"},
		{"wrong type", `{"version": 1, "high_water": "soon"}`, "corrupt"},
		{"negative", `{"version": 1, "high_water": -5}`, "negative"},
		{"trailing", `{"version": 1, "high_water": 5} {}`, "data after"},
		{"other version", `{"version": 3, "high_water": 5}`, "version 3"},
		{"huge", `{"version": 1, "high_water": 1` + strings.Repeat("0", 4<<20) + `}`, "larger than"},
		{"bad revoked entry", `{"version": 2, "high_water": 5, "revoked": {"acme": {"listed": ["cti:0011"]}}}`, "corrupt"},
		{"unknown revoked kind", `{"version": 2, "high_water": 5, "revoked": {"acme": {"listed": ["jti:00112233445566778899aabbccddeeff"]}}}`, "corrupt"},
		{"null revoked", `{"version": 2, "high_water": 5, "revoked": {"acme": null}}`, "corrupt"},
		{"seq overflow", `{"version": 1, "high_water": 5, "revocation_seq": {"acme": 1e30}}`, "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := v.config()
			cfg.StatePath = filepath.Join(t.TempDir(), "state.json")
			write(t, cfg.LicensePath, v.mint(v.license(nil)))
			write(t, cfg.StatePath, []byte(tt.content))
			lic, se := loadErr[*sdk.StateError](t, cfg)
			if se.Op != "read" || se.Path != cfg.StatePath || !strings.Contains(se.Error(), tt.want) {
				t.Errorf("error %v, want %q", se, tt.want)
			}
			if lic.Allows("api:read") || sdk.CodeOf(lic.Err()) != sdk.CodeStateInvalid {
				t.Error("corrupt state allows")
			}
			// Deleting the state file starts afresh, without a restart.
			os.Remove(cfg.StatePath)
			if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
				t.Errorf("after deleting the state file: %v", err)
			}
		})
	}
}

func TestStateUnwritable(t *testing.T) {
	v := newVendor(t, "vendor")
	cfg := v.config()
	dir := v.path("state")
	cfg.StatePath = filepath.Join(dir, "state.json")
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	lic := mustLoad(t, cfg)
	// The state directory becomes a file: the next write fails.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	write(t, dir, []byte("x"))
	v.clock.Add(time.Hour)
	err := lic.Reload()
	var se *sdk.StateError
	if !errors.As(err, &se) || se.Op != "write" {
		t.Fatalf("Reload = %v, want a state write error", err)
	}
	if !lic.Allows("api:read") {
		t.Fatal("unwritable state denies")
	}
	if ws := strings.Join(lic.Status().Warnings, "\n"); !strings.Contains(ws, "state file") {
		t.Errorf("warnings %q", ws)
	}
	// Writable again: the problem goes away.
	os.Remove(dir)
	v.clock.Add(time.Hour)
	if err := lic.Reload(); err != nil {
		t.Fatalf("Reload = %v", err)
	}
	if got := readStateFile(t, cfg.StatePath).HighWater; got != t0.Add(2*time.Hour).Unix() {
		t.Errorf("high water %d", got)
	}
}

func TestRevocations(t *testing.T) {
	v := newVendor(t, "vendor")
	claims := v.license(nil)
	tok := v.mint(claims)
	other := newVendor(t, "other")

	t.Run("revoked at load", func(t *testing.T) {
		cfg := v.config()
		cfg.RevocationsPath = v.path("rev1.pem")
		write(t, cfg.RevocationsPath, v.revocations(1, t0.Add(-time.Hour), claims.ID))
		write(t, cfg.LicensePath, tok)
		lic, lerr := loadErr[*sdk.LoadError](t, cfg)
		if lerr.Code() != "revoked" || lic.Allows("api:read") {
			t.Errorf("code %q", lerr.Code())
		}
	})
	t.Run("missing list, never seen", func(t *testing.T) {
		cfg := v.config()
		cfg.RevocationsPath = v.path("absent.pem")
		write(t, cfg.LicensePath, tok)
		mustLoad(t, cfg)
	})
	t.Run("forged list", func(t *testing.T) {
		cfg := v.config()
		cfg.RevocationsPath = v.path("forged.pem")
		write(t, cfg.RevocationsPath, other.revocations(9, t0))
		write(t, cfg.LicensePath, tok)
		lic, re := loadErr[*sdk.RevocationsError](t, cfg)
		if verify.CodeOf(re) != verify.CodeUnknownKey || sdk.CodeOf(re) != sdk.CodeRevocationsInvalid || lic.Allows("api:read") {
			t.Errorf("err %v", re)
		}
	})
	t.Run("list is a license", func(t *testing.T) {
		cfg := v.config()
		cfg.RevocationsPath = v.path("wrong.pem")
		write(t, cfg.RevocationsPath, tok)
		write(t, cfg.LicensePath, tok)
		_, re := loadErr[*sdk.RevocationsError](t, cfg)
		if verify.CodeOf(re) != verify.CodeWrongType {
			t.Errorf("err %v", re)
		}
	})
	t.Run("list rollback", func(t *testing.T) {
		cfg := v.config()
		cfg.StatePath = v.path("rollback-state.json")
		cfg.RevocationsPath = v.path("rev-rollback.pem")
		write(t, cfg.StatePath, []byte(`{"version":1,"high_water":0,"revocation_seq":{"acme":5}}`))
		write(t, cfg.RevocationsPath, v.revocations(4, t0.Add(-time.Hour)))
		write(t, cfg.LicensePath, tok)
		lic, le := loadErr[*sdk.ListRollbackError](t, cfg)
		if le.Seen != 5 || le.Got != 4 || le.Issuer != "acme" || le.Missing || !errors.Is(le, sdk.ErrListRollback) || errors.Is(le, sdk.ErrClockRollback) {
			t.Errorf("err %+v", le)
		}
		if lic.Allows("api:read") || sdk.CodeOf(lic.Err()) != sdk.CodeListRollback {
			t.Error("rolled back list allows")
		}
		// The same seq again is fine.
		write(t, cfg.RevocationsPath, v.revocations(5, t0.Add(-time.Hour)))
		if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
			t.Errorf("seq 5 after seq 5: %v", err)
		}
		// Removing the list is a rollback too.
		os.Remove(cfg.StatePath)
		os.Remove(cfg.RevocationsPath)
		write(t, cfg.StatePath, []byte(`{"version":1,"high_water":0,"revocation_seq":{"acme":5}}`))
		_, le = loadErr[*sdk.ListRollbackError](t, cfg)
		if !le.Missing || le.Seen != 5 || !strings.Contains(le.Error(), "is missing") {
			t.Errorf("err %+v", le)
		}
	})
	t.Run("stale list", func(t *testing.T) {
		cfg := v.config()
		cfg.RevocationsPath = v.path("stale.pem")
		write(t, cfg.RevocationsPath, v.revocations(1, t0.Add(-40*24*time.Hour)))
		write(t, cfg.LicensePath, tok)
		lic := mustLoad(t, cfg)
		if !strings.Contains(strings.Join(lic.Status().Warnings, "\n"), "stale") {
			t.Error("no stale warning")
		}
		cfg.RejectStaleRevocations = true
		_, lerr := loadErr[*sdk.LoadError](t, cfg)
		if lerr.Code() != "revoked" {
			t.Errorf("code %q", lerr.Code())
		}
	})
}

func TestRevokedWhileRunning(t *testing.T) {
	v := newVendor(t, "vendor")
	claims := v.license(nil)
	cfg := v.config()
	cfg.RevocationsPath = v.path("revoked.pem")
	write(t, cfg.RevocationsPath, v.revocations(1, t0.Add(-time.Hour)))
	write(t, cfg.LicensePath, v.mint(claims))
	lic := mustLoad(t, cfg)

	// A broken list keeps the previous one, and the license.
	write(t, cfg.RevocationsPath, []byte("garbage"))
	err := lic.Reload()
	var re *sdk.RevocationsError
	if !errors.As(err, &re) || !lic.Allows("api:read") {
		t.Fatalf("broken list: %v", err)
	}
	// An older list is taken too: revocation is monotonic, its entries
	// join those seen (here it names the license, which is revoked).
	write(t, cfg.RevocationsPath, v.revocations(0, t0.Add(-2*time.Hour), claims.ID))
	if err := lic.Reload(); !errors.Is(err, verify.CodeRevoked) || lic.Allows("api:read") {
		t.Fatalf("older list naming the license: %v", err)
	}
	// A newer list that names the license denies too.
	write(t, cfg.RevocationsPath, v.revocations(2, t0, claims.ID))
	err = lic.Reload()
	if !errors.Is(err, verify.CodeRevoked) || lic.Allows("api:read") || sdk.CodeOf(lic.Err()) != "revoked" {
		t.Fatalf("revoked: %v", err)
	}
	// A fresh license in its place is taken.
	write(t, cfg.LicensePath, v.mint(v.license(nil)))
	if err := lic.Reload(); err != nil || !lic.Allows("api:read") {
		t.Fatalf("replacement: %v", err)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRollbackAfterExpiry: a check that finds the license expired still
// raises the high-water mark, so setting the clock back to before the
// expiry is a rollback, not a license that works again (issue 9, item 7).
func TestRollbackAfterExpiry(t *testing.T) {
	for _, withFile := range []bool{true, false} {
		name := map[bool]string{true: "state file", false: "memory"}[withFile]
		t.Run(name, func(t *testing.T) {
			v := newVendor(t, "vendor")
			cfg := v.config()
			if withFile {
				cfg.StatePath = v.path("state.json")
			}
			write(t, cfg.LicensePath, v.mint(v.license(func(l *token.License) { l.Expiry = t0.Add(24 * time.Hour) })))
			lic := mustLoad(t, cfg)
			v.clock.Set(t0.Add(10 * 24 * time.Hour)) // long expired
			if err := lic.Reload(); !errors.Is(err, verify.CodeExpired) {
				t.Fatalf("Reload after expiry: %v", err)
			}
			if withFile {
				if got := readStateFile(t, cfg.StatePath).HighWater; got != v.clock.Now().Unix() {
					t.Errorf("high water %d after an expired check, want %d", got, v.clock.Now().Unix())
				}
			}
			v.clock.Set(t0.Add(12 * time.Hour)) // back to before the expiry
			if err := lic.Reload(); !errors.Is(err, sdk.ErrClockRollback) || lic.Allows("api:read") {
				t.Fatalf("clock set back after expiry, same process: %v", err)
			}
			if withFile {
				if _, err := sdk.Load(cfg); !errors.Is(err, sdk.ErrClockRollback) {
					t.Fatalf("clock set back after expiry, restarted: %v", err)
				}
			}
		})
	}
	// An unlicensed check (nothing installed yet) raises it too.
	v := newVendor(t, "vendor")
	cfg := v.config()
	cfg.StatePath = v.path("state.json")
	v.clock.Set(t0.Add(48 * time.Hour))
	if _, err := sdk.Load(cfg); sdk.CodeOf(err) != sdk.CodeNoLicense {
		t.Fatalf("Load with nothing installed: %v", err)
	}
	if got := readStateFile(t, cfg.StatePath).HighWater; got != v.clock.Now().Unix() {
		t.Errorf("high water %d after an unlicensed check, want %d", got, v.clock.Now().Unix())
	}
}
