package usage

import (
	"fmt"
	"strings"
)

// maxProblems bounds the records a refusal lists.
const maxProblems = 10

// problems collects the problems of a report's records, the first code
// winning.
type problems struct {
	code Code
	list []string
	n    int
}

func (p *problems) add(code Code, format string, args ...any) {
	if p.code == "" {
		p.code = code
	}
	p.n++
	if len(p.list) < maxProblems {
		p.list = append(p.list, fmt.Sprintf(format, args...))
	}
}

func (p *problems) err(what string) error {
	if p.n == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", what)
	if p.n == 1 {
		b.WriteString(p.list[0])
	} else {
		fmt.Fprintf(&b, "%d problems:", p.n)
		for _, s := range p.list {
			b.WriteString("\n  - " + s)
		}
		if p.n > len(p.list) {
			fmt.Fprintf(&b, "\n  - and %d more", p.n-len(p.list))
		}
	}
	return &Error{Code: p.code, Message: b.String()}
}
