package main

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/licet/licet/policy"
	"github.com/spf13/cobra"
)

const policyFlagUsage = "the policy `FILE` with the templates (default: LICET_POLICY, else licet.toml beside the key)"

// policyLocation returns the policy file: the --policy flag, else
// LICET_POLICY, else licet.toml beside the key (or here).
func (a *app) policyLocation(flag, keyPath string) string {
	if flag != "" {
		return flag
	}
	if v, ok := a.lookupEnv("LICET_POLICY"); ok && v != "" {
		return v
	}
	if keyPath != "" {
		return filepath.Join(filepath.Dir(keyPath), policy.DefaultFile)
	}
	return policy.DefaultFile
}

// loadPolicy reads the policy file; a missing file is exit 2, a bad one 1.
func loadPolicy(path string) (*policy.Policy, error) {
	p, err := policy.Load(path)
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe):
		return nil, fileError(err, path, "the policy file with the templates")
	case err != nil:
		return nil, failure(errors.New(strings.TrimPrefix(err.Error(), "policy: ")), "see 'licet template --help' for the format")
	}
	return p, nil
}

// applyTemplate sets every mint flag that the command line left unset from
// the template: explicit flags win; --limit and --meta are merged per name.
func applyTemplate(cmd *cobra.Command, t *policy.Template) error {
	f := cmd.Flags()
	set := func(name string, values ...string) error {
		if f.Changed(name) {
			return nil
		}
		for _, v := range values {
			if err := f.Set(name, v); err != nil {
				return usageError("", "template %s: --%s %s: %v", t.Name, name, v, err)
			}
		}
		return nil
	}
	merge := func(name string, values []string, given []string) error {
		have := map[string]bool{}
		for _, g := range given {
			k, _, _ := strings.Cut(g, "=")
			have[k] = true
		}
		for _, v := range values {
			if k, _, _ := strings.Cut(v, "="); !have[k] {
				if err := f.Set(name, v); err != nil {
					return usageError("", "template %s: --%s %s: %v", t.Name, name, v, err)
				}
			}
		}
		return nil
	}
	limits, _ := f.GetStringArray("limit")
	meta, _ := f.GetStringArray("meta")
	errs := []error{
		set("aud", t.Products...), set("tier", t.Tier), set("scope", t.Scopes...), set("right", t.Rights...),
		merge("limit", t.LimitArgs(), limits), merge("meta", t.MetaArgs(), meta),
	}
	if t.Versions != "" {
		errs = append(errs, set("versions", t.Versions))
	}
	if !f.Changed("expires") && !f.Changed("days") && !f.Changed("perpetual") {
		if t.Days > 0 {
			errs = append(errs, set("days", strconv.Itoa(t.Days)))
		} else if t.Perpetual {
			errs = append(errs, set("perpetual", "true"))
		}
	}
	if t.Grace > 0 && !f.Changed("perpetual") {
		errs = append(errs, set("grace", formatDuration(t.Grace)))
	}
	if t.PerpetualFallback && !f.Changed("perpetual") && !f.Changed("perpetual-fallback") {
		errs = append(errs, set("perpetual-fallback", "true"))
	}
	return errors.Join(errs...)
}

// applyTemplateFlag applies mint --template, when given.
func (a *app) applyTemplateFlag(cmd *cobra.Command, name, policyFlag, keyPath string) error {
	if name == "" {
		return nil
	}
	p, err := loadPolicy(a.policyLocation(policyFlag, keyPath))
	if err != nil {
		return err
	}
	t, err := p.Template(name)
	if err != nil {
		return usageError(templateHint(policyFlag, keyPath), "--template %s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	return applyTemplate(cmd, t)
}

// templateHint names the command that lists the templates of the policy
// file that --policy and --key chose.
func templateHint(policyFlag, keyPath string) string {
	cmd := "licet template"
	switch {
	case policyFlag != "":
		cmd += " --policy " + shellQuote(policyFlag)
	case keyPath != "":
		cmd += " --key " + shellQuote(keyPath)
	}
	return "'" + cmd + "' lists them"
}

func newTemplateCmd(a *app) *cobra.Command {
	var policyFlag, key string
	cmd := &cobra.Command{
		Use:   "template [--policy FILE]",
		Short: "List the license templates of the policy file (licet.toml)",
		Long: `List the templates of the issuer's policy file, which 'licet mint --template
NAME' and 'licet batch' mint from. The file is --policy, else LICET_POLICY,
else licet.toml beside --key (else here). Its format:

  [products.acme-db]
  name = "Acme DB"

  [templates.pro]
  products = ["acme-db"]        # the aud claim (required)
  tier     = "pro"              # default: the template's name
  scopes   = ["api:read", "reports:*"]
  versions = ">= 2.0, < 4.0"
  limits   = { seats = 25 }
  rights   = ["embed"]
  meta     = { plan = "pro-2026" }
  days     = 365                # or perpetual = true
  grace    = "30d"
  perpetual_fallback = true     # after expiry, valid for builds released by then

Flags given to mint override the template; --limit and --meta override it
name by name.`,
		Example: `  licet template --key acme.key
  licet mint --key acme.key --template pro --sub customer-42
  licet mint --key acme.key --template pro --sub customer-43 --limit seats=50 --days 30`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			path := a.policyLocation(policyFlag, key)
			p, err := loadPolicy(path)
			if err != nil {
				return err
			}
			a.printTemplates(p)
			return nil
		}),
	}
	cmd.Flags().StringVar(&policyFlag, "policy", "", policyFlagUsage)
	cmd.Flags().StringVar(&key, "key", "", "find licet.toml beside this private key `FILE` (never read)")
	return cmd
}

func (a *app) printTemplates(p *policy.Policy) {
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEMPLATE\tPRODUCTS\tTIER\tTERM\tLIMITS\tSCOPES")
	for _, name := range slices.Sorted(maps.Keys(p.Templates)) {
		t := p.Templates[name]
		term := "-"
		switch {
		case t.Perpetual:
			term = "perpetual"
		case t.Days > 0:
			term = fmt.Sprintf("%dd", t.Days)
		}
		if t.Grace > 0 {
			term += " +" + formatDuration(t.Grace) + " grace"
		}
		if t.PerpetualFallback {
			term += " +fallback"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, strings.Join(t.Products, ", "), t.Tier, term,
			dash(strings.Join(t.LimitArgs(), ", ")), dash(strings.Join(t.Scopes, ", ")))
	}
	tw.Flush()
}
