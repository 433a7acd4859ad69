package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// noSubcommand is the Args check of a command that takes no arguments
// but has subcommands (the root, groups): an argument is an unknown
// command, reported with the closest names.
func noSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return unknownCommand(cmd, args[0])
}

// unknownCommand is the usage error for a command name that cmd does not
// have: "unknown command "mnit" for "licet"; did you mean "mint"?", or
// the list of cmd's commands when no name is close.
func unknownCommand(cmd *cobra.Command, name string) error {
	hint := fmt.Sprintf("see '%s --help'", cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		quoted := make([]string, len(s))
		for i, n := range s {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		return usageError(hint, "unknown command %q for %q; did you mean %s?", name, cmd.CommandPath(), strings.Join(quoted, " or "))
	}
	return usageError(hint, "unknown command %q for %q (want one of: %s)", name, cmd.CommandPath(), strings.Join(subcommandNames(cmd), ", "))
}

// helpUnlessUnknown wraps the help function help: help asked for under a
// command that has subcommands, with a positional word left over
// ("licet serve --help", "licet keys nwe -h"), sets *unknown to that
// unknown command instead of printing the help of the command above it.
func helpUnlessUnknown(help func(*cobra.Command, []string), unknown *error) func(*cobra.Command, []string) {
	return func(cmd *cobra.Command, args []string) {
		if cmd.HasAvailableSubCommands() {
			if words := cmd.Flags().Args(); len(words) > 0 {
				*unknown = unknownCommand(cmd, words[0])
				return
			}
		}
		help(cmd, args)
	}
}

// unknownTopic is the error of "licet help WORDS" when WORDS do not name
// a command: the unknown command under the deepest one that they name.
func unknownTopic(root *cobra.Command, words []string) error {
	cmd, rest, err := root.Find(words)
	if err != nil {
		return usageError("see 'licet --help'", "%s", strings.TrimPrefix(err.Error(), "Error: "))
	}
	if len(rest) > 0 && cmd.HasAvailableSubCommands() {
		return unknownCommand(cmd, rest[0])
	}
	return nil
}

// subcommandNames lists the commands a user may run under cmd.
func subcommandNames(cmd *cobra.Command) []string {
	names := make([]string, 0, len(cmd.Commands()))
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return names
}

// flagError reports a bad flag. Under a command that has subcommands, a
// word before the flag was meant as a subcommand: that unknown command
// is the error ("licet keys nwe --issuer x"), not the flag.
//
// A value that Go's parsers refuse is reported without them: "not true
// or false", not "strconv.ParseBool: parsing ...".
func flagError(cmd *cobra.Command, err error) error {
	if cmd.HasAvailableSubCommands() {
		if args := cmd.Flags().Args(); len(args) > 0 {
			return unknownCommand(cmd, args[0])
		}
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		plain := "not a whole number"
		switch {
		case ne.Func == "ParseBool":
			plain = "not true or false"
		case ne.Func == "ParseFloat":
			plain = "not a number"
		case ne.Err == strconv.ErrRange:
			plain = "too large"
		}
		return errors.New(strings.Replace(err.Error(), ne.Error(), plain, 1))
	}
	return err
}
