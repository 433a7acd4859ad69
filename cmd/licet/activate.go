package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
	"github.com/spf13/cobra"
)

// maxRequestFileSize bounds what is read from an activation request file:
// the size machine.ParseActivationRequest accepts.
const maxRequestFileSize = machine.MaxActivationRequest

func newActivateCmd(a *app) *cobra.Command {
	cmd := groupCmd("activate", "Offline activation: bind a license to this machine", `  licet activate request --product acme-db -o req.json
  LICET_MACHINE_ID=cluster-7 licet activate request --product acme-db -o req.json`)
	cmd.Long = `Offline activation for sites without network access: the site writes an
activation request on the machine that will run the product and sends it
to the vendor; the vendor mints a license bound to that machine with
'licet mint --from-request'; the site checks it with
'licet verify --bind-machine'.`
	cmd.AddCommand(newActivateRequestCmd(a))
	return cmd
}

// activateJSON is the output of activate request --json.
type activateJSON struct {
	Request       *machine.ActivationRequest `json:"request"`
	File          *string                    `json:"file"`
	MachineIDFrom string                     `json:"machine_id_from"`
	Warnings      []string                   `json:"warnings"`
}

func newActivateRequestCmd(a *app) *cobra.Command {
	var product, out string
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "request --product ID [-o FILE] [--force] [--json]",
		Short: "Write this machine's activation request for the vendor",
		Long: `Write the activation request of this machine for a product: a small JSON
file with the product id, the machine fingerprint, where the machine id
came from and the date. Send it to the vendor, who mints a license bound to
this machine:

  licet mint --from-request req.json --key VENDOR.key --sub CUSTOMER --tier T --days 365

The fingerprint is a SHA-256 of the machine id labelled with the product
and with its source: the raw machine id never leaves the machine, the
request holds no secret, and an id given through LICET_MACHINE_ID gives
another fingerprint than the same id read from /etc/machine-id (a license
for one does not verify under the other). The machine id is, in this order: the LICET_MACHINE_ID environment
variable, /etc/machine-id, /var/lib/dbus/machine-id, the host name. In a
container /etc/machine-id is often missing and the host name changes when
the container is recreated: set LICET_MACHINE_ID to a stable value (the
same on every node that shares the license), here and wherever the product
runs.

The request goes to stdout, or to -o FILE (mode 0644, never overwritten
without --force). stderr says where the machine id came from and what to do
next. --json prints one object on stdout instead of the bare request:
"request" (the request itself), "file" (the -o file, or null),
"machine_id_from" and "warnings".`,
		Example: `  licet activate request --product acme-db -o req.json
  licet activate request --product acme-db > req.json
  LICET_MACHINE_ID=cluster-7 licet activate request --product acme-db -o req.json   # containers, clusters
  licet activate request --product acme-db -o req.json --force --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.activateRequest(product, out, force, asJSON)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&product, "product", "", "the product `ID` to activate (required), as the vendor names it")
	f.StringVarP(&out, "output", "o", "", "write the request to `FILE` instead of stdout")
	f.BoolVar(&force, "force", false, "overwrite the -o file")
	f.BoolVar(&asJSON, "json", false, "print one JSON object (the request, the file, the machine id source)")
	_ = cmd.MarkFlagFilename("output", "json")
	return cmd
}

// checkProduct reports a --product value that no license could name.
func checkProduct(flag, product string) []string {
	switch {
	case product == "":
		return []string{fmt.Sprintf("--%s is required: the product id, as the vendor names it (a license's aud)", flag)}
	case strings.TrimSpace(product) != product:
		return []string{fmt.Sprintf("--%s %q has white space around it", flag, product)}
	}
	return nil
}

// thisMachine returns where this machine's identity comes from: the
// app's machine (tests) or the real one, with LICET_MACHINE_ID read from
// the app's environment.
func (a *app) thisMachine() *machine.Machine {
	var m machine.Machine
	if a.machine != nil {
		m = *a.machine
	}
	if m.Getenv == nil {
		m.Getenv = func(k string) string { v, _ := a.lookupEnv(k); return v }
	}
	return &m
}

// machineRequest returns this machine's activation request for product,
// dated now. Without a machine identity it is an exit code 2 error.
func (a *app) machineRequest(product string) (*machine.ActivationRequest, error) {
	req, err := a.thisMachine().ActivationRequest(product, a.now())
	if err != nil {
		return nil, ioError(fmt.Errorf("this machine: %s", strings.TrimPrefix(err.Error(), "machine: ")),
			fmt.Sprintf("set %s to a stable id for this machine (the same wherever the license must verify)", machine.IDEnv))
	}
	return req, nil
}

// sourceText names a machine id source for people.
func sourceText(source string) string {
	switch source {
	case machine.SourceEnv:
		return "$" + machine.IDEnv
	case machine.SourceMachineID:
		return "/etc/machine-id"
	case machine.SourceDBus:
		return "/var/lib/dbus/machine-id"
	case machine.SourceHostname:
		return "the host name"
	}
	return source
}

// sourceWarning says what can go wrong with a machine id source, or "".
func sourceWarning(source string) string {
	if source == machine.SourceHostname {
		return fmt.Sprintf("this machine has no machine id file, so its id is the host name, which changes when the host is renamed or a container recreated (and the license with it): set %s to a stable value", machine.IDEnv)
	}
	return ""
}

func (a *app) activateRequest(product, out string, force, asJSON bool) error {
	if p := checkProduct("product", product); len(p) > 0 {
		return problemsError("activate request", p, "see 'licet activate request --help'")
	}
	req, err := a.machineRequest(product)
	if err != nil {
		return err
	}
	data, err := req.MarshalIndent()
	if err != nil {
		return failure(err, "")
	}
	if out == "-" {
		out = ""
	}
	if out != "" {
		if err := writeNew(out, data, 0o644, force); err != nil {
			return err
		}
	}
	from := sourceText(req.Source)
	note := ""
	if req.Source == machine.SourceEnv {
		note = "; set the same value wherever the product runs"
	}
	fmt.Fprintf(a.stderr, "licet: machine id from %s (source %q)%s; the request holds only its fingerprint for %s\n", from, req.Source, note, product)
	warnings := []string{}
	if w := sourceWarning(req.Source); w != "" {
		warnings = append(warnings, w)
		a.warn("%s", w)
	}
	if out != "" {
		fmt.Fprintf(a.stderr, "licet: wrote the activation request for %s to %s\n", product, out)
		fmt.Fprintf(a.stderr, "licet: next: send %s to your vendor, who runs 'licet mint --from-request %s ...' and sends back the license\n", out, out)
	} else {
		fmt.Fprintf(a.stderr, "licet: next: send the request (saved as a file such as req.json) to your vendor, who runs 'licet mint --from-request req.json ...' and sends back the license\n")
	}
	fmt.Fprintf(a.stderr, "licet: then check it on this machine: licet verify LICENSE --pub VENDOR.pub --product %s --bind-machine\n", product)
	if asJSON {
		res := activateJSON{Request: req, MachineIDFrom: from, Warnings: warnings}
		if out != "" {
			res.File = &out
		}
		return writeJSON(a.stdout, res)
	}
	if out == "" {
		_, err := a.stdout.Write(data)
		return err
	}
	return nil
}

// readRequest reads and checks an activation request file for mint
// --from-request. A file that is not a request is exit code 1, like a
// file that is not a grant.
func readRequest(path string) (*machine.ActivationRequest, error) {
	data, err := readFile(path, "an activation request", maxRequestFileSize)
	if err != nil {
		return nil, err
	}
	const hint = "--from-request takes the JSON file that 'licet activate request' wrote on the customer's machine, unmodified; ask for a new one"
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, failure(fmt.Errorf("%s: not a valid activation request: the file is empty", path), hint)
	}
	req, err := machine.ParseActivationRequest(data)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "machine: ")
		msg = strings.TrimPrefix(msg, "parsing activation request: ")
		return nil, failure(fmt.Errorf("%s: not a valid activation request: %s", path, msg), hint)
	}
	return req, nil
}

// applyRequest binds lic to the machine of an activation request
// (machine.ActivationRequest.Apply) and returns the conflicts with the
// flags, if any, as problems.
func applyRequest(lic *token.License, req *machine.ActivationRequest, path string) []string {
	err := req.Apply(lic)
	var ce *machine.ConflictError
	if !errors.As(err, &ce) {
		if err != nil {
			return []string{fmt.Sprintf("%s: %s", path, strings.TrimPrefix(err.Error(), "machine: "))}
		}
		return nil
	}
	var problems []string
	if ce.Audience != nil {
		problems = append(problems, fmt.Sprintf("--aud %s does not name %s, the product of the activation request %s: leave --aud out, or add --aud %s",
			strings.Join(ce.Audience, ", "), safeText(req.Product), path, safeText(req.Product)))
	}
	if ce.Bind != "" {
		problems = append(problems, fmt.Sprintf("--bind %s=%s conflicts with the activation request %s, which binds %s=%s: leave that --bind out",
			machine.BindingKey, ce.Bind, path, machine.BindingKey, safeText(req.Fingerprint)))
	}
	return problems
}
