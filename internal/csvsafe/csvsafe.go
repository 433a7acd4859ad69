// Package csvsafe keeps text from tokens inert in CSV files: a cell that
// starts like a spreadsheet formula (=, +, -, @, tab, CR) gets a leading
// quote mark, so that opening the file runs nothing.
package csvsafe

import "strings"

// Cell returns s, defused when a spreadsheet would take it for a formula.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
