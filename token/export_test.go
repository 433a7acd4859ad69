package token

// Unexported scope matchers, for the tests of package token_test.
var (
	Covers      = coversAny
	CoversScope = coversScope
)

// CheckSize is checkSize, for the form-size test.
var CheckSize = checkSize
