package report

import "time"

// Late reports whether a license issued at iat, first reported after a
// report of the same log that was ingested at previous (zero for none),
// is late: issued before that previous report, so that the partner left
// it out of it, or backdated it. A late license counts in the period of
// the report that first held it, not of its iat (see package royalty).
func Late(iat, previous time.Time) bool { return !previous.IsZero() && iat.Before(previous) }
