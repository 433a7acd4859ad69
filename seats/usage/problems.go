package usage

import "github.com/licet/licet/internal/reportfile"

// problems collects the problems of a report's records, the first code
// winning.
type problems struct{ reportfile.Problems[Code] }

// err returns the refusal, what followed by the problems, or nil.
func (p *problems) err(what string) error {
	code, msg, ok := p.Message(what)
	if !ok {
		return nil
	}
	return &Error{Code: code, Message: msg}
}
