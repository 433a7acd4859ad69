package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// maxPassphraseFile bounds what is read from a passphrase file.
const maxPassphraseFile = 64 << 10

// passSource says where a passphrase comes from, in this order: the file
// of a flag, an environment variable (an empty value counts as unset), a
// prompt on the terminal.
type passSource struct {
	file, flag, env string
}

// keyPass is where the passphrase of the key a command reads or writes
// comes from: --passphrase-file, LICET_PASSPHRASE, the terminal.
func (a *app) keyPass() passSource {
	return passSource{file: a.passphraseFile, flag: "passphrase-file", env: "LICET_PASSPHRASE"}
}

// addPassphraseFileFlag adds --passphrase-file to a command that reads a
// passphrase.
func addPassphraseFileFlag(cmd *cobra.Command, a *app) {
	cmd.Flags().StringVar(&a.passphraseFile, "passphrase-file", "", "read the key's passphrase from the first line of `FILE` (keep it mode 0600)")
	_ = cmd.MarkFlagFilename("passphrase-file")
}

// passphrase returns the passphrase of the key: see [app.readPassphrase].
func (a *app) passphrase(prompt string, confirm bool) ([]byte, error) {
	return a.readPassphrase(a.keyPass(), prompt, confirm)
}

// readPassphrase returns a passphrase from src. On the terminal it
// prompts without echo, twice when confirm is set (a new passphrase).
func (a *app) readPassphrase(src passSource, prompt string, confirm bool) ([]byte, error) {
	if src.file != "" {
		return a.passphraseFromFile(src.file, src.flag)
	}
	if p, ok := a.lookupEnv(src.env); ok && p != "" {
		return []byte(p), nil
	}
	if !a.stdinTerminal() {
		return nil, usageError(fmt.Sprintf("pass --%s FILE, set %s, or run licet on a terminal to be asked", src.flag, src.env),
			"a passphrase is needed and stdin is not a terminal")
	}
	fmt.Fprint(a.stderr, prompt)
	p, err := a.readPassword()
	fmt.Fprintln(a.stderr)
	if err != nil {
		return nil, failure(fmt.Errorf("reading the passphrase: %v", err), "")
	}
	if confirm {
		fmt.Fprint(a.stderr, "Repeat the passphrase: ")
		p2, err := a.readPassword()
		fmt.Fprintln(a.stderr)
		if err != nil {
			return nil, failure(fmt.Errorf("reading the passphrase: %v", err), "")
		}
		if !bytes.Equal(p, p2) {
			return nil, failure(errors.New("the two passphrases differ"), "run the command again")
		}
	}
	return p, nil
}

// passphraseFromFile reads the first line of a passphrase file (a final
// CR is dropped, nothing else), warning when others may read the file.
func (a *app) passphraseFromFile(path, flag string) ([]byte, error) {
	data, err := readFile(path, "a passphrase file", maxPassphraseFile)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		a.warn("%s can be read by group or others (mode %04o): run 'chmod 600 %s'", path, fi.Mode().Perm(), path)
	}
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, usageError("write the passphrase on the file's first line", "--%s %s: the first line is empty", flag, path)
	}
	return line, nil
}
