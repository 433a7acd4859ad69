// Package royalty prices the licenses that partners reported to a vendor
// (package report) and renders what they owe as a royalty statement.
//
// # Statements
//
// [Build] reads the vendor's ledger: every license held by a log mirrored
// from a partner's reports, and only those (not the vendor's own
// licenses, not a partner's licenses it has not reported yet), that
// counts in a [Period]. It prices each with the prices per tier of the
// vendor's policy file (package policy, [royalties]): a flat amount per
// license, or an amount per seat-year, times the license's seats limit
// and the years of its term. The [Statement] holds a [Line] per license,
// a [Row] per partner and tier, and a [Month] per month of the period.
// Amounts are exact, in hundredths (each line rounded half up); a tier
// without a price is an error that names it.
//
// # Terms and grace
//
// A license is billed to the end of its grace period, during which it
// still verifies: its term runs from its start (its nbf, when later than
// its iat) to its expiry plus its grace, and every format shows the grace
// on its own (GRACE, grace_seat_years).
//
// # Late licenses
//
// A license counts in the period it was issued, unless it is late
// ([report.Late]): issued before the partner's previous report was
// ingested. Then it counts when the report that first held it was
// ingested, so that a backdated license cannot land in a period already
// invoiced, and every format lists it as late.
//
// # Formats
//
// A statement is written as text tables ([Statement.WriteText]), CSV with
// a line per license ([Statement.WriteCSV]), JSON with amounts as
// decimal strings ([Statement.MarshalJSON]), or one self-contained HTML
// page with bar charts in inline SVG ([Statement.WriteHTML]), which loads
// nothing from the network ([ContentSecurityPolicy]). Text from partners'
// tokens cannot drive a terminal or run as a spreadsheet formula.
package royalty
