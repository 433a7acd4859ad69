package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licet/licet/issue"
	"github.com/licet/licet/keys"
	"github.com/licet/licet/ledger"
	"github.com/licet/licet/token"
)

// noRotationUsage is the help of --no-rotation-grant.
const noRotationUsage = "sign without the rotation grant that 'licet keys rotate' recorded (only for products that trust this key)"

// newIssuer returns the issue.Issuer of a key file: the key is unlocked
// (a passphrase asked for) only when something is to be signed.
func (a *app) newIssuer(keyPath string, data []byte, info *keys.KeyInfo, led *ledger.Ledger, format string, asJSON bool, now time.Time) *issue.Issuer {
	return &issue.Issuer{
		Name: info.Public.Issuer, PublicKey: info.Public.Key, Ledger: led, Now: func() time.Time { return now },
		Unlock: func() (crypto.Signer, error) {
			k, err := a.unlockKey(keyPath, data, info)
			if err != nil {
				return nil, err
			}
			return k.Signer(), nil
		},
		Write: a.tokenWriter(format, asJSON),
	}
}

// licenseOut is where and how a license goes: -o FILE (or stdout), in
// the chosen form with the PEM headers of a license.
func (a *app) licenseOut(out string, force bool, format, prefix string) issue.Out {
	if out == "-" {
		out = ""
	}
	return issue.Out{File: out, Replace: force, Encode: func(e *ledger.Entry) ([]byte, error) {
		return encodeToken(e.Raw, token.PEMLicense, entryHeaders(e), format, prefix)
	}}
}

// entryHeaders are the PEM headers of a recorded license.
func entryHeaders(e *ledger.Entry) map[string]string {
	headers := map[string]string{"Issuer": e.Issuer, "Subject": e.Subject, "Products": strings.Join(e.Audience, ", "),
		"Tier": e.Tier, "Expires": formatExpiry(e.Expiry), "License-ID": e.ID}
	if e.GrantID != "" {
		headers["Grant-ID"] = e.GrantID
	}
	return headers
}

// openForIssue checks where a token is to be written and opens the
// ledger at location. Without an order the output is checked first: a
// command refused for its output file touches no ledger.
func (a *app) openForIssue(location, order, out, format string, force, asJSON bool) (*ledger.Ledger, error) {
	if order == "" {
		if err := a.checkOutput(out, format, force, asJSON); err != nil {
			return nil, err
		}
	}
	led, err := a.openLedger(location)
	if err != nil {
		return nil, err
	}
	if order != "" {
		if err := a.checkIssueOutput(led, order, out, format, force, asJSON); err != nil {
			led.Close()
			return nil, err
		}
	}
	return led, nil
}

// checkIssueOutput refuses, before anything is signed, an output that
// cannot be written (checkOutput), except that an order already recorded
// may find its file already there: the same bytes are fine (a retry),
// other ones are refused when they are written.
func (a *app) checkIssueOutput(led *ledger.Ledger, order, out, format string, force, asJSON bool) error {
	if order != "" {
		_, err := led.ByOrder(context.Background(), order)
		switch {
		case err == nil:
			force = true
		case !errors.Is(err, ledger.ErrNotFound):
			return failure(fmt.Errorf("cannot read the ledger: %v", err), ledgerHint)
		}
	}
	return a.checkOutput(out, format, force, asJSON)
}
