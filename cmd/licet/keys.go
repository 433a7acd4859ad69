package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/licet/licet/keys"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

func newKeysCmd(a *app) *cobra.Command {
	cmd := groupCmd("keys", "Create, show and trust signing keys", `  licet keys new --issuer acme
  licet keys rotate --key acme.key --out-priv acme-2027.key --until 2030-12-31
  licet keys show acme.pub
  licet keys trust add --keyring trusted.json acme.pub`)
	cmd.Long = `Create signing keys (an encrypted private key file and a public key file),
show what a key file holds, and keep a keyring of trusted public keys.`
	cmd.AddCommand(newKeysNewCmd(a), newKeysRotateCmd(a), newKeysShowCmd(a), newKeysPasswdCmd(a), newTrustCmd(a))
	return cmd
}

func newKeysNewCmd(a *app) *cobra.Command {
	var issuer, outPriv, outPub string
	var noPassphrase, force bool
	cmd := &cobra.Command{
		Use:   "new --issuer ID [--out-priv FILE] [--out-pub FILE] [--no-passphrase] [--force]",
		Short: "Create a signing key pair",
		Long: `Create an Ed25519 signing key for issuer ID: a private key file (mode 0600),
encrypted under a passphrase, and a public key file to give to products and
customers. The default file names are ID.key and ID.pub in the current
directory; existing files are never overwritten without --force.

The passphrase comes from --passphrase-file (the first line of the file),
LICET_PASSPHRASE or, on a terminal, a prompt that asks twice.
--no-passphrase writes an UNENCRYPTED private key: for CI and tests only.
'licet keys passwd' changes the passphrase later.`,
		Example: `  licet keys new --issuer acme
  LICET_PASSPHRASE=... licet keys new --issuer acme --out-priv /secure/acme.key --out-pub acme.pub
  licet keys new --issuer acme --passphrase-file ~/.config/licet/acme.pass
  licet keys new --issuer ci-test --no-passphrase --force`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.keysNew(issuer, outPriv, outPub, noPassphrase, force)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&issuer, "issuer", "", "issuer `ID` carried by the key and by every license it signs (required)")
	f.StringVar(&outPriv, "out-priv", "", "private key `FILE` (default ID.key)")
	f.StringVar(&outPub, "out-pub", "", "public key `FILE` (default ID.pub)")
	f.BoolVar(&noPassphrase, "no-passphrase", false, "write the private key UNENCRYPTED (CI and tests only)")
	f.BoolVar(&force, "force", false, "overwrite existing key files")
	_ = cmd.MarkFlagFilename("out-priv", "key")
	_ = cmd.MarkFlagFilename("out-pub", "pub")
	addPassphraseFileFlag(cmd, a)
	return cmd
}

// keysNew creates the key pair of issuer in outPriv and outPub (ISSUER.key
// and ISSUER.pub when empty).
func (a *app) keysNew(issuer, outPriv, outPub string, noPassphrase, force bool) error {
	if issuer == "" {
		return usageError("for example: licet keys new --issuer acme", "--issuer is required: the id your licenses carry as their issuer")
	}
	if noPassphrase && a.passphraseFile != "" {
		return usageError("", "give either --no-passphrase or --passphrase-file, not both")
	}
	if outPriv == "" {
		outPriv = issuer + ".key"
	}
	if outPub == "" {
		outPub = issuer + ".pub"
	}
	if filepath.Clean(outPriv) == filepath.Clean(outPub) {
		return usageError("", "--out-priv and --out-pub name the same file %s", outPriv)
	}
	k, err := keys.Generate(rand.Reader, issuer)
	if err != nil {
		return usageError("an issuer id is 1 to 64 characters of A-Z a-z 0-9 . _ : @ -", "--issuer %q: %v", issuer, err)
	}
	if err := checkKeyOutputs(outPriv, outPub, force); err != nil {
		return err
	}
	priv, err := a.encodeNewKey(k, outPriv, noPassphrase)
	if err != nil {
		return err
	}
	if err := writeNew(outPriv, priv, 0o600, force); err != nil {
		return err
	}
	if err := writeNew(outPub, k.Public().MarshalPEM(), 0o644, force); err != nil {
		return err
	}
	state := "encrypted; keep it secret and keep a backup"
	if noPassphrase {
		state = "UNENCRYPTED"
		a.warn("%s is not encrypted: anyone who reads the file can sign licenses; use it for CI and tests only", outPriv)
	}
	out := a.stdout
	fmt.Fprintf(out, "created a signing key for issuer %s\n", k.Issuer)
	fmt.Fprintf(out, "private key: %s (%s)\n", outPriv, state)
	fmt.Fprintf(out, "public key:  %s (give it to your products and customers)\n", outPub)
	fmt.Fprintf(out, "kid:         %s\n", hex.EncodeToString(k.KeyID()))
	return nil
}

// checkKeyOutputs refuses key files in a missing directory, or (without
// force) taken.
func checkKeyOutputs(outPriv, outPub string, force bool) error {
	for _, p := range []string{outPriv, outPub} {
		if err := checkDir(p); err != nil {
			return err
		}
	}
	if !force {
		for _, p := range []string{outPriv, outPub} {
			if _, err := os.Lstat(p); err == nil {
				return ioError(fmt.Errorf("%s already exists; not overwriting it", p),
					"choose other names with --out-priv/--out-pub, or pass --force to replace the files")
			}
		}
	}
	return nil
}

// encodeNewKey returns the private key file of a new key, encrypted under
// a passphrase unless noPassphrase.
func (a *app) encodeNewKey(k *keys.PrivateKey, outPriv string, noPassphrase bool) ([]byte, error) {
	if noPassphrase {
		return k.MarshalUnencrypted(), nil
	}
	pass, err := a.passphrase(fmt.Sprintf("Passphrase for the new key %s: ", outPriv), true)
	if err != nil {
		return nil, err
	}
	if len(pass) == 0 {
		return nil, usageError("use --no-passphrase for an unencrypted key (CI and tests only)", "the passphrase is empty")
	}
	priv, err := k.MarshalEncrypted(pass, keys.DefaultKDF())
	if err != nil {
		return nil, failure(err, "")
	}
	return priv, nil
}

// checkDir fails when the directory that would hold path does not exist.
func checkDir(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return ioError(fmt.Errorf("%s: no such directory", dir), "create it first, or choose another path")
	}
	return nil
}

// writeNew writes a file atomically, refusing an existing one unless force.
func writeNew(path string, data []byte, perm fs.FileMode, force bool) error {
	if err := keys.WriteFile(path, data, perm, force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ioError(fmt.Errorf("%s already exists; not overwriting it", path), "choose another file name, or pass --force to replace it")
		}
		return ioError(fmt.Errorf("writing %s: %v", path, err), "check that the directory exists and is writable")
	}
	return nil
}

type keyInfoJSON struct {
	File         string `json:"file"`
	Kind         string `json:"kind"`
	Encrypted    bool   `json:"encrypted"`
	Issuer       string `json:"issuer"`
	KID          string `json:"kid"`
	PublicKey    string `json:"public_key"`
	PublicKeyPEM string `json:"public_key_pem"`
}

func newKeysShowCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show the issuer, key id and public key of a key file",
		Long: `Show what a key file holds: its kind (public or private, encrypted or not),
issuer, key id (kid) and public key. Works on public and private key files,
without a passphrase.`,
		Example: `  licet keys rotate --key acme.key --out-priv acme-2027.key --until 2030-12-31
  licet keys show acme.pub
  licet keys show acme.key --json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFiles,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			path := args[0]
			data, err := readFile(path, "a key file", maxKeyFileSize)
			if err != nil {
				return err
			}
			info, err := keys.ReadKeyInfo(data)
			if err != nil {
				return failure(fmt.Errorf("%s: %v", path, err), "a licet key file is written by 'licet keys new'; public keys may also be PKIX PEM files from openssl")
			}
			pub := info.Public
			j := keyInfoJSON{
				File: path, Kind: "public", Encrypted: info.Encrypted, Issuer: pub.Issuer,
				KID:          hex.EncodeToString(pub.KeyID()),
				PublicKey:    base64.StdEncoding.EncodeToString(pub.Key),
				PublicKeyPEM: string(pub.MarshalPEM()),
			}
			if info.Private {
				j.Kind = "private"
			}
			if asJSON {
				return writeJSON(a.stdout, j)
			}
			kind := j.Kind + " key"
			switch {
			case info.Private && info.Encrypted:
				kind += ", encrypted"
			case info.Private:
				kind += ", UNENCRYPTED"
			}
			issuer := pub.Issuer
			if issuer == "" {
				issuer = "(none: the file does not name one)"
			}
			out := a.stdout
			fmt.Fprintf(out, "file:       %s\n", path)
			fmt.Fprintf(out, "kind:       %s\n", kind)
			fmt.Fprintf(out, "issuer:     %s\n", issuer)
			fmt.Fprintf(out, "kid:        %s\n", j.KID)
			fmt.Fprintf(out, "public key: %s\n\n", j.PublicKey)
			fmt.Fprint(out, j.PublicKeyPEM)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// readKeyFile reads a private key file and what it says about itself,
// without its passphrase.
func readKeyFile(path string) ([]byte, *keys.KeyInfo, error) {
	if path == "" {
		return nil, nil, usageError("create a key with 'licet keys new --issuer ID'", "--key is required: the private key file that signs")
	}
	data, err := readFile(path, "a private key file", maxKeyFileSize)
	if err != nil {
		return nil, nil, err
	}
	info, err := keys.ReadKeyInfo(data)
	if err != nil {
		return nil, nil, failure(fmt.Errorf("%s: %v", path, err), "--key takes a private key file written by 'licet keys new'")
	}
	if !info.Private {
		return nil, nil, usageError("--key takes the private key file (ID.key), not the public one (ID.pub)",
			"%s is a public key file; signing needs the private key", path)
	}
	return data, info, nil
}

// unlockKey decrypts a private key file read by readKeyFile, asking for the
// passphrase if it is encrypted, and warns about unencrypted and sandbox keys.
func (a *app) unlockKey(path string, data []byte, info *keys.KeyInfo) (*keys.PrivateKey, error) {
	k, err := keys.ParsePrivateKey(data, func() ([]byte, error) {
		return a.passphrase(fmt.Sprintf("Passphrase for %s: ", path), false)
	})
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return nil, err
	case errors.Is(err, keys.ErrWrongPassphrase):
		return nil, failure(fmt.Errorf("%s: wrong passphrase, or the key file was modified", path),
			"the passphrase comes from --passphrase-file, LICET_PASSPHRASE or the terminal prompt")
	case errors.Is(err, keys.ErrKDFTooExpensive):
		return nil, failure(fmt.Errorf("%s: %v", path, err), "the file asks for more work than licet allows; it was not written by licet")
	case err != nil:
		return nil, failure(fmt.Errorf("%s: %v", path, err), "")
	}
	if !info.Encrypted {
		a.warn("%s is not encrypted: anyone who reads it can sign; use unencrypted keys for CI and tests only", path)
	}
	if k.Issuer == keys.SandboxIssuer {
		a.warn("signing with the public sandbox key: anyone can make such tokens; for demos and tests only")
	}
	return k, nil
}

func newTrustCmd(a *app) *cobra.Command {
	cmd := groupCmd("trust", "Manage a keyring of trusted public keys", `  licet keys trust add --keyring trusted.json acme.pub
  licet keys trust list --keyring trusted.json
  licet keys trust retire --keyring trusted.json 0011223344556677 --at 2026-06-30T00:00:00Z`)
	cmd.Long = `A keyring (trust store) is a JSON file of trusted public keys, each with the
issuer its licenses must carry and an optional validity window. verify
--keyring checks licenses against it.

A retired key (retire, or add --not-after) keeps verifying what it signed
before its retirement; a revoked key (revoke) verifies nothing.`
	cmd.AddCommand(newTrustAddCmd(a), newTrustListCmd(a), newTrustRemoveCmd(a),
		newTrustRevokeCmd(a), newTrustRetireCmd(a))
	return cmd
}

func keyringRequired(path string) error {
	if path == "" {
		return usageError("for example: --keyring trusted.json", "--keyring is required: the keyring file")
	}
	return nil
}

// loadKeyring loads a keyring; a missing file is an error unless create.
func loadKeyring(path string, create bool) (*keys.TrustStore, bool, error) {
	if err := keyringRequired(path); err != nil {
		return nil, false, err
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if create {
			return &keys.TrustStore{}, true, nil
		}
		return nil, false, ioError(fmt.Errorf("%s: no such keyring file", path),
			fmt.Sprintf("create it with 'licet keys trust add --keyring %s VENDOR.pub'", path))
	}
	data, err := readFile(path, "a keyring file", maxKeyFileSize)
	if err != nil {
		return nil, false, err
	}
	s, err := keys.ParseTrustStore(data)
	if err != nil {
		return nil, false, failure(fmt.Errorf("%s: %v", path, err), "a keyring is the JSON file written by 'licet keys trust add'")
	}
	return s, false, nil
}

func saveKeyring(s *keys.TrustStore, path string) error {
	if err := s.Save(path); err != nil {
		return ioError(fmt.Errorf("writing %s: %v", path, err), "check that the directory exists and is writable")
	}
	return nil
}

// privateKeyGiven is the error for a private key file where a public key
// belongs: a keyring is shared, the private key must not be.
func privateKeyGiven(path string) error {
	pub := "ID.pub"
	if strings.HasSuffix(path, ".key") {
		pub = strings.TrimSuffix(path, ".key") + ".pub"
	}
	return usageError(fmt.Sprintf("pass the public key file (%s, written next to the private key by 'licet keys new'); 'licet keys show %s' prints the public key PEM to save as one", pub, path),
		"%s is a private key file: a keyring holds public keys only (the private key stays with whoever signs)", path)
}

func newTrustAddCmd(a *app) *cobra.Command {
	var keyring, issuer, notBefore, notAfter, note string
	cmd := &cobra.Command{
		Use:   "add --keyring FILE PUBFILE [--issuer ID] [--not-before DATE] [--not-after DATE] [--note TEXT]",
		Short: "Trust a public key",
		Long: `Add the public key in PUBFILE to the keyring (created if missing). The
issuer comes from the key file or --issuer; licenses signed by the key must
carry it. --not-before and --not-after bound the issue time (iat) of what the
key may have signed.

` + dateHelp,
		Example: `  licet keys trust add --keyring trusted.json acme.pub
  licet keys trust add --keyring trusted.json vendor-openssl.pub --issuer acme --note "from the 2026 contract"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFiles,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			if err := keyringRequired(keyring); err != nil {
				return err
			}
			tk, err := a.trustedKeyFlags(note, notBefore, notAfter)
			if err != nil {
				return err
			}
			if err := readTrustedKey(args[0], issuer, tk); err != nil {
				return err
			}
			return a.trustAdd(keyring, tk)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&keyring, "keyring", "", "keyring `FILE` (created if missing)")
	f.StringVar(&issuer, "issuer", "", "issuer `ID`, when the key file names none")
	f.StringVar(&notBefore, "not-before", "", "the key signs nothing issued before `DATE`")
	f.StringVar(&notAfter, "not-after", "", "the key signs nothing issued after `DATE` (retired)")
	f.StringVar(&note, "note", "", "free `TEXT` kept with the key")
	_ = cmd.MarkFlagFilename("keyring", "json")
	return cmd
}

// trustedKeyFlags reads --note, --not-before and --not-after of keys
// trust add.
func (a *app) trustedKeyFlags(note, notBefore, notAfter string) (*keys.TrustedKey, error) {
	var problems, p []string
	tk := &keys.TrustedKey{Note: note}
	tk.NotBefore, p = parseKeyTime("not-before", notBefore, true, a.now())
	problems = append(problems, p...)
	tk.NotAfter, p = parseKeyTime("not-after", notAfter, false, a.now())
	problems = append(problems, p...)
	if !tk.NotBefore.IsZero() && !tk.NotAfter.IsZero() && !tk.NotAfter.After(tk.NotBefore) {
		problems = append(problems, "--not-after must be after --not-before")
	}
	if len(problems) > 0 {
		return nil, problemsError("keys trust add", problems, "see 'licet keys trust add --help'")
	}
	return tk, nil
}

// parseKeyTime parses an optional DATE flag of keys trust add.
func parseKeyTime(flag, s string, startOfDay bool, now time.Time) (time.Time, []string) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := parseDate(s, startOfDay, now)
	if err != nil {
		return time.Time{}, []string{"--" + flag + " " + err.Error()}
	}
	return t, nil
}

// readTrustedKey reads the public key file path into tk, with its issuer
// or --issuer.
func readTrustedKey(path, issuer string, tk *keys.TrustedKey) error {
	data, err := readFile(path, "a public key file", maxKeyFileSize)
	if err != nil {
		return err
	}
	info, err := keys.ReadKeyInfo(data)
	if err != nil {
		return failure(fmt.Errorf("%s: %v", path, err), "give the vendor's public key file (ID.pub)")
	}
	if info.Private {
		return privateKeyGiven(path)
	}
	tk.Key = info.Public.Key
	tk.Issuer = info.Public.Issuer
	switch {
	case issuer != "" && tk.Issuer != "" && issuer != tk.Issuer:
		return usageError("leave out --issuer, or check that this is the right key file",
			"--issuer %q differs from the issuer %q named in %s", issuer, tk.Issuer, path)
	case issuer != "":
		tk.Issuer = issuer
	case tk.Issuer == "":
		return usageError("pass --issuer ID: the issuer that licenses signed by this key carry",
			"%s names no issuer", path)
	}
	return nil
}

// trustAdd adds tk to the keyring, created if missing.
func (a *app) trustAdd(keyring string, tk *keys.TrustedKey) error {
	s, created, err := loadKeyring(keyring, true)
	if err != nil {
		return err
	}
	if err := s.Add(*tk); err != nil {
		return failure(fmt.Errorf("%s: %v", keyring, err), "")
	}
	if err := saveKeyring(s, keyring); err != nil {
		return err
	}
	verb := "added"
	if created {
		verb = "created " + keyring + " and added"
	}
	fmt.Fprintf(a.stdout, "%s key %s (issuer %s)\n", verb, hex.EncodeToString(tk.KeyID()), tk.Issuer)
	return nil
}

type trustedKeyJSON struct {
	KID       string  `json:"kid"`
	Issuer    string  `json:"issuer"`
	PublicKey string  `json:"public_key"`
	NotBefore *string `json:"not_before"`
	NotAfter  *string `json:"not_after"`
	Revoked   bool    `json:"revoked"`
	Status    string  `json:"status"`
	Note      string  `json:"note"`
}

func keyStatus(k *keys.TrustedKey, now time.Time) string {
	switch {
	case k.Revoked:
		return "revoked"
	case !k.NotAfter.IsZero() && now.After(k.NotAfter):
		return "retired " + k.NotAfter.UTC().Format(time.RFC3339)
	case !k.NotAfter.IsZero():
		return "until " + k.NotAfter.UTC().Format(time.RFC3339)
	case !k.NotBefore.IsZero() && now.Before(k.NotBefore):
		return "from " + k.NotBefore.UTC().Format(time.RFC3339)
	}
	return "active"
}

func newTrustListCmd(a *app) *cobra.Command {
	var keyring string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --keyring FILE [--json]",
		Short: "List the trusted keys",
		Example: `  licet keys trust list --keyring trusted.json
  licet keys trust list --keyring trusted.json --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			s, _, err := loadKeyring(keyring, false)
			if err != nil {
				return err
			}
			now := a.now()
			list := make([]trustedKeyJSON, 0, len(s.Keys))
			for i := range s.Keys {
				k := &s.Keys[i]
				list = append(list, trustedKeyJSON{
					KID: hex.EncodeToString(k.KeyID()), Issuer: k.Issuer,
					PublicKey: base64.StdEncoding.EncodeToString(k.Key),
					NotBefore: timePtr(k.NotBefore), NotAfter: timePtr(k.NotAfter),
					Revoked: k.Revoked, Status: keyStatus(k, now), Note: k.Note,
				})
			}
			if asJSON {
				return writeJSON(a.stdout, map[string]any{"keyring": keyring, "keys": list})
			}
			if len(list) == 0 {
				fmt.Fprintf(a.stdout, "%s holds no keys\n", keyring)
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tISSUER\tSTATUS\tNOTE")
			for _, k := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.KID, k.Issuer, k.Status, k.Note)
			}
			return tw.Flush()
		}),
	}
	cmd.Flags().StringVar(&keyring, "keyring", "", "keyring `FILE`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	_ = cmd.MarkFlagFilename("keyring", "json")
	return cmd
}

// parseKID parses a key argument: a key id (16 hex digits) or a key file.
func parseKID(s string) ([]byte, error) {
	if kid, err := hex.DecodeString(strings.TrimSpace(s)); err == nil && len(kid) == token.KeyIDSize {
		return kid, nil
	}
	if _, err := os.Stat(s); err == nil {
		data, err := readFile(s, "a key file", maxKeyFileSize)
		if err != nil {
			return nil, err
		}
		info, err := keys.ReadKeyInfo(data)
		if err != nil {
			return nil, failure(fmt.Errorf("%s: %v", s, err), "give a key id (16 hex digits) or a key file")
		}
		return info.Public.KeyID(), nil
	}
	return nil, usageError("give a key id (16 hex digits, as 'licet keys trust list' prints them) or a key file",
		"%q is neither a key id nor a key file", s)
}

// findKey returns the keyring entry with the given key id.
func findKey(s *keys.TrustStore, kid []byte, keyring string) (*keys.TrustedKey, error) {
	for i := range s.Keys {
		if bytes.Equal(s.Keys[i].KeyID(), kid) {
			return &s.Keys[i], nil
		}
	}
	return nil, failure(fmt.Errorf("%s holds no key %x", keyring, kid),
		fmt.Sprintf("see 'licet keys trust list --keyring %s'", keyring))
}

// trustEditCmd builds remove, revoke and retire: load, change one key, save.
func trustEditCmd(a *app, use, short, long, example string, extra func(*cobra.Command) func(*keys.TrustStore, *keys.TrustedKey) (string, error)) *cobra.Command {
	var keyring string
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Long:    long,
		Example: example,
		Args:    cobra.ExactArgs(1),
	}
	edit := extra(cmd)
	cmd.RunE = runE(func(cmd *cobra.Command, args []string) error {
		if err := keyringRequired(keyring); err != nil {
			return err
		}
		kid, err := parseKID(args[0])
		if err != nil {
			return err
		}
		s, _, err := loadKeyring(keyring, false)
		if err != nil {
			return err
		}
		k, err := findKey(s, kid, keyring)
		if err != nil {
			return err
		}
		msg, err := edit(s, k)
		if err != nil {
			return err
		}
		if err := saveKeyring(s, keyring); err != nil {
			return err
		}
		fmt.Fprintln(a.stdout, msg)
		return nil
	})
	cmd.Flags().StringVar(&keyring, "keyring", "", "keyring `FILE`")
	_ = cmd.MarkFlagFilename("keyring", "json")
	return cmd
}

func newTrustRemoveCmd(a *app) *cobra.Command {
	return trustEditCmd(a, "remove --keyring FILE KID|KEYFILE", "Remove a key from the keyring",
		`Remove the key with id KID (or the key in KEYFILE) from the keyring: licenses it signed no longer
verify against this keyring (they are unknown_key). To stop trusting a key
while saying so, prefer revoke.`,
		`  licet keys trust remove --keyring trusted.json 0011223344556677
  licet keys trust remove --keyring trusted.json acme-old.pub`,
		func(*cobra.Command) func(*keys.TrustStore, *keys.TrustedKey) (string, error) {
			return func(s *keys.TrustStore, k *keys.TrustedKey) (string, error) {
				kid := k.KeyID()
				if err := s.Remove(kid); err != nil {
					return "", failure(err, "")
				}
				return fmt.Sprintf("removed key %x", kid), nil
			}
		})
}

func newTrustRevokeCmd(a *app) *cobra.Command {
	return trustEditCmd(a, "revoke --keyring FILE KID|KEYFILE", "Mark a key revoked: it verifies nothing",
		`Mark the key with id KID (or the key in KEYFILE) revoked: nothing it signed verifies any more
(key_not_valid), whenever it was issued. For a key that was compromised.`,
		`  licet keys trust revoke --keyring trusted.json 0011223344556677
  licet keys trust revoke --keyring trusted.json acme-2025.pub`,
		func(*cobra.Command) func(*keys.TrustStore, *keys.TrustedKey) (string, error) {
			return func(s *keys.TrustStore, k *keys.TrustedKey) (string, error) {
				k.Revoked = true
				return fmt.Sprintf("revoked key %x (issuer %s)", k.KeyID(), k.Issuer), nil
			}
		})
}

func newTrustRetireCmd(a *app) *cobra.Command {
	return trustEditCmd(a, "retire --keyring FILE KID|KEYFILE [--at DATE]", "Retire a key: it keeps verifying what it signed before",
		`Retire the key with id KID (or the key in KEYFILE) at DATE (default now): licenses it issued
before then keep verifying, anything it issued later is key_not_valid. For a
key replaced in a rotation.

`+dateHelp,
		`  licet keys trust retire --keyring trusted.json 0011223344556677
  licet keys trust retire --keyring trusted.json acme-2025.pub --at 2026-06-30T00:00:00Z`,
		func(cmd *cobra.Command) func(*keys.TrustStore, *keys.TrustedKey) (string, error) {
			var at string
			var t time.Time
			cmd.Flags().StringVar(&at, "at", "", "retirement `DATE` (default now)")
			cmd.PreRunE = func(*cobra.Command, []string) error {
				t = a.now().UTC().Truncate(time.Second)
				if at != "" {
					var err error
					if t, err = parseDate(at, true, a.now()); err != nil {
						return usageError("see 'licet keys trust retire --help'", "--at %v", err)
					}
				}
				return nil
			}
			return func(s *keys.TrustStore, k *keys.TrustedKey) (string, error) {
				if !k.NotBefore.IsZero() && !t.After(k.NotBefore) {
					return "", usageError("", "--at %s is not after the key's start %s", t.Format(time.RFC3339), k.NotBefore.UTC().Format(time.RFC3339))
				}
				k.NotAfter = t
				return fmt.Sprintf("retired key %x (issuer %s) at %s", k.KeyID(), k.Issuer, t.Format(time.RFC3339)), nil
			}
		})
}

func timePtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// completeFiles completes a file argument.
func completeFiles(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}
