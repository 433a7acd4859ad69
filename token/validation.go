package token

import "strings"

// ValidationError is what the Validate methods and the Sign functions
// return for claims that cannot be signed: every problem found, each a
// sentence fragment a person can act on ("no product (aud)").
type ValidationError struct {
	// Object is "license", "grant" or "revocation list".
	Object string
	// Problems lists every problem, in a fixed order.
	Problems []string
}

func (e *ValidationError) Error() string {
	return "token: invalid " + e.Object + ": " + strings.Join(e.Problems, "; ")
}
