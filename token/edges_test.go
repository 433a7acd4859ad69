package token_test

import (
	"bytes"
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

func TestSplit(t *testing.T) {
	raw := envelope(mustMarshal(t, map[any]any{1: -8, 4: bytes.Repeat([]byte{1}, 8), 16: token.TypeRevocations}), []byte{0xa0}, []byte{0xa0}, make([]byte, 64))
	text, err := token.EncodeText(raw, "")
	require.NoError(t, err)
	pemForm := string(token.EncodePEM(raw, token.PEMRevocations, nil))

	for name, tc := range map[string]struct {
		in   string
		want int
	}{
		"one raw":           {string(raw), 1},
		"raw with newline":  {string(raw) + "\n", 1},
		"one text":          {text + "\n", 1},
		"two texts":         {text + "\n\n" + text + "\n", 2},
		"two PEM blocks":    {pemForm + "\n" + pemForm, 2},
		"three PEM, spaced": {" \n" + pemForm + pemForm + "\r\n" + pemForm + "\n", 3},
	} {
		t.Run(name, func(t *testing.T) {
			objs, err := token.Split([]byte(tc.in))
			require.NoError(t, err)
			require.Len(t, objs, tc.want)
			for _, o := range objs {
				_, _, err := token.Decode(o)
				require.NoError(t, err)
			}
		})
	}
	for name, in := range map[string]string{
		"empty":               " \n\t",
		"text after PEM":      pemForm + text,
		"too many":            strings.Repeat(text+"\n", token.MaxObjects+1),
		"over the size limit": strings.Repeat(" ", token.MaxObjects*token.MaxTokenSize+1),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := token.Split([]byte(in))
			require.ErrorIs(t, err, token.ErrMalformed)
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := token.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestValidateRefusesControlText: an issuer cannot sign text that would
// fool a terminal (escape sequences, bidi overrides).
func TestValidateRefusesControlText(t *testing.T) {
	for name, edit := range map[string]func(*token.License){
		"sub with ESC":        func(l *token.License) { l.Subject = "acme\x1b[2Kvalid" },
		"sub with CR":         func(l *token.License) { l.Subject = "a\rb" },
		"aud with RLO":        func(l *token.License) { l.Audience = []string{"db\u202e"} },
		"tier with NEL":       func(l *token.License) { l.Tier = "pro\u0085" },
		"binding value LS":    func(l *token.License) { l.Bind = map[string]string{"host": "a\u2028b"} },
		"right with ZWJ":      func(l *token.License) { l.Rights = []string{"em\u200dbed"} },
		"limit name with NUL": func(l *token.License) { l.Limits = map[string]uint64{"se\x00ats": 1} },
	} {
		t.Run(name, func(t *testing.T) {
			l := sampleLicense()
			edit(l)
			var ve *token.ValidationError
			require.ErrorAs(t, l.Validate(), &ve)
			require.Contains(t, strings.Join(ve.Problems, "\n"), "control or format character")
		})
	}
	l := sampleLicense()
	l.Subject = "Zoë Ünïcode 名前"
	require.NoError(t, l.Validate())
}
