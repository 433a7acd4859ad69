package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion returns the module version licet was built from, or
// "(devel)" for a build from a source tree, and the VCS revision if known.
func buildVersion() (version, revision string) {
	version = "(devel)"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, ""
	}
	if v := info.Main.Version; v != "" {
		version = v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			revision = s.Value
		}
	}
	return version, revision
}

func newVersionCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version [--json]",
		Short: "Print the licet version and the Go version it was built with",
		Example: `  licet version
  licet version --json`,
		Args: cobra.NoArgs,
		RunE: runE(func(cmd *cobra.Command, args []string) error {
			return a.printVersion(asJSON)
		}),
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

// printVersion prints what 'licet version' and 'licet --version' print.
func (a *app) printVersion(asJSON bool) error {
	v, rev := buildVersion()
	if asJSON {
		return writeJSON(a.stdout, map[string]string{
			"version": v, "revision": rev, "go": runtime.Version(),
			"platform": runtime.GOOS + "/" + runtime.GOARCH,
		})
	}
	fmt.Fprintf(a.stdout, "licet %s", v)
	if rev != "" {
		fmt.Fprintf(a.stdout, " (%s)", rev)
	}
	fmt.Fprintf(a.stdout, " %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
