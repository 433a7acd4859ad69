package token_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/licet/licet/token"
)

// TestPatternDoesNotCoverItsPrefix (issue 9 item 17, FORMAT section 9
// "Scope edge"): api:* covers scopes longer than "api:", not "api:".
func TestPatternDoesNotCoverItsPrefix(t *testing.T) {
	require.True(t, token.ValidScope("api:"))
	require.False(t, token.CoversScope("api:*", "api:"))
	require.False(t, token.Covers([]string{"api:*"}, "api:"))
	require.True(t, token.CoversScope("api:*", "api:r"))
	require.True(t, token.CoversScope("*", "api:"))
	require.True(t, token.CoversScope("api:", "api:"))
	l := &token.License{Scopes: []string{"api:*"}}
	require.False(t, l.Allows("api:"))
	require.True(t, l.Allows("api:read"))
}

// TestValidationErrorIsTyped: callers read the problems from the error,
// not from its text.
func TestValidationErrorIsTyped(t *testing.T) {
	_, err := token.SignLicense(testKey("vendor"), &token.License{Grace: -1}, nil)
	var ve *token.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "license", ve.Object)
	require.Greater(t, len(ve.Problems), 2)
	require.Contains(t, ve.Problems, "no product (aud)")
	require.Equal(t, "token: invalid license: "+strings.Join(ve.Problems, "; "), err.Error())
	_, err = token.SignGrant(testKey("vendor"), &token.Grant{})
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "grant", ve.Object)
}
