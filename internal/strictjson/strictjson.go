// Package strictjson closes the gaps encoding/json leaves in a strict file
// format: it matches member names without regard to letter case, and when
// an object names a member twice it keeps the last value silently, while
// another reader of the same text may take the first. [CheckFields] refuses
// both before the real decoder runs.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// FieldError reports a member name that a strict format does not accept:
// one that is not among the format's names (in exactly that spelling), or
// one that appears twice in one object.
type FieldError struct {
	Name      string // the member name, as decoded
	Duplicate bool   // true: the name is known but appears twice in one object
}

// Error names the field and the problem.
func (e *FieldError) Error() string {
	if e.Duplicate {
		return fmt.Sprintf("field %q appears twice in one object", e.Name)
	}
	return fmt.Sprintf("unknown field %q", e.Name)
}

// CheckFields returns a *[FieldError] for the first member name, in any
// object at any depth of data, that is not in known (compared exactly,
// letter case included) or that appears twice in one object. It returns
// nil for valid JSON whose every object passes, and also for invalid JSON:
// syntax errors are for the real decoder to report.
func CheckFields(data []byte, known map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		object bool
		seen   map[string]bool
		key    bool // the next token is an object key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // syntax errors are reported by the real decoder
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); !ok || d != '}' {
				name, _ := tok.(string)
				if !known[name] {
					return &FieldError{Name: name}
				}
				if top.seen[name] {
					return &FieldError{Name: name, Duplicate: true}
				}
				top.seen[name] = true
				top.key = false
				continue
			}
		}
		if top != nil && top.object {
			top.key = true // after a value, a key comes next
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, seen: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}
