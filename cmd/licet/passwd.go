package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/licet/licet/keys"
	"github.com/spf13/cobra"
)

// passwdJSON is the output of keys passwd --json.
type passwdJSON struct {
	File         string `json:"file"`
	From         string `json:"from"`
	Issuer       string `json:"issuer"`
	KID          string `json:"kid"`
	WasEncrypted bool   `json:"was_encrypted"`
}

func newKeysPasswdCmd(a *app) *cobra.Command {
	var out, newFile string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "passwd KEYFILE [-o FILE] [--force] [--passphrase-file FILE] [--new-passphrase-file FILE] [--json]",
		Short: "Change the passphrase of a private key file",
		Long: `Encrypt a private key file again under a new passphrase: the same key,
issuer and key id, a fresh salt and nonce. The current passphrase is
checked first: a wrong one changes nothing (exit 1). An unencrypted key
(--no-passphrase) is encrypted.

The current passphrase comes from --passphrase-file, LICET_PASSPHRASE or
a prompt; the new one from --new-passphrase-file, LICET_NEW_PASSPHRASE or
a prompt that asks twice (files: their first line).

The key goes back to KEYFILE, replaced atomically with mode 0600, which
needs --force like every other overwrite; or to a new file with -o FILE.
When KEYFILE (or the -o FILE being replaced) is a symbolic link, the file
it leads to is replaced, in its own directory, and the link stays: the key
changes where it lives.`,
		Example: `  licet keys passwd acme.key --force
  licet keys passwd acme.key -o acme-new.key
  licet keys passwd acme.key --force --passphrase-file old.pass --new-passphrase-file new.pass
  LICET_PASSPHRASE=... LICET_NEW_PASSPHRASE=... licet keys passwd acme.key --force --json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFiles,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.passwd(args[0], out, newFile, force, asJSON)
		}),
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "write the key to `FILE` instead of replacing KEYFILE")
	f.BoolVar(&force, "force", false, "replace the existing file (KEYFILE itself without -o)")
	f.StringVar(&newFile, "new-passphrase-file", "", "read the new passphrase from the first line of `FILE`")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	addPassphraseFileFlag(cmd, a)
	_ = cmd.MarkFlagFilename("output", "key")
	_ = cmd.MarkFlagFilename("new-passphrase-file")
	return cmd
}

// passwd changes the passphrase of the key file path, writing it to out
// (path itself when out is empty).
func (a *app) passwd(path, out, newFile string, force, asJSON bool) error {
	data, err := readFile(path, "a private key file", maxKeyFileSize)
	if err != nil {
		return err
	}
	info, err := keys.ReadKeyInfo(data)
	switch {
	case err != nil:
		return failure(fmt.Errorf("%s: %v", path, err), "keys passwd takes a private key file written by 'licet keys new'")
	case !info.Private:
		return usageError("a public key has no passphrase: give the private key file (ID.key)", "%s is a public key file", path)
	}
	if out == "" || out == "-" {
		out = path
	}
	if !force {
		if _, err := os.Lstat(out); err == nil {
			return ioError(fmt.Errorf("%s already exists; not overwriting it", out),
				"pass --force to replace it with the key under its new passphrase, or -o FILE to write a new file")
		}
	}
	if err := checkDir(out); err != nil {
		return err
	}
	// A symbolic link: replace the key it leads to, not the link (which
	// would leave the real key under its old passphrase).
	target, err := keys.PasswdTarget(out)
	if err != nil {
		return ioError(errors.New(strings.TrimPrefix(err.Error(), "keys: ")),
			"give the key file itself, or a link that leads to it")
	}
	newSrc := passSource{file: newFile, flag: "new-passphrase-file", env: "LICET_NEW_PASSPHRASE"}
	res, err := keys.ChangePassphrase(data,
		func() ([]byte, error) { return a.passphrase(fmt.Sprintf("Current passphrase for %s: ", path), false) },
		func() ([]byte, error) {
			p, err := a.readPassphrase(newSrc, fmt.Sprintf("New passphrase for %s: ", out), true)
			if err == nil && len(p) == 0 {
				err = usageError("choose a passphrase; 'licet keys new --no-passphrase' makes unencrypted keys for CI and tests only",
					"the new passphrase is empty; nothing was changed")
			}
			return p, err
		}, keys.DefaultKDF())
	if err != nil {
		return passwdError(path, err)
	}
	if err := writeNew(target, res, 0o600, force); err != nil {
		return err
	}
	kid := hex.EncodeToString(info.Public.KeyID())
	if asJSON {
		return writeJSON(a.stdout, passwdJSON{File: out, From: path, Issuer: info.Public.Issuer, KID: kid, WasEncrypted: info.Encrypted})
	}
	what := "changed the passphrase of"
	if !info.Encrypted {
		what = "encrypted"
	}
	wrote := out
	if target != out {
		wrote = fmt.Sprintf("%s, the file the link %s leads to", target, out)
	}
	fmt.Fprintf(a.stdout, "%s the key %s (issuer %s); wrote %s (mode 0600)\n", what, kid, info.Public.Issuer, wrote)
	return nil
}

// passwdError turns an error of keys.ChangePassphrase into the command's.
func passwdError(path string, err error) error {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return err
	case errors.Is(err, keys.ErrWrongPassphrase):
		return failure(fmt.Errorf("%s: wrong passphrase, or the key file was modified; nothing was changed", path),
			"the current passphrase comes from --passphrase-file, LICET_PASSPHRASE or the terminal prompt")
	}
	return failure(fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "keys: ")), "")
}
