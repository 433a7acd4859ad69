package token_test

import (
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
