package sqldb

import "testing"

func TestRebind(t *testing.T) {
	for _, c := range []struct {
		postgres    bool
		query, want string
	}{
		{false, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = ? AND c = ?"},
		{true, "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{true, "SELECT 1", "SELECT 1"},
	} {
		if got := Rebind(c.postgres, c.query); got != c.want {
			t.Errorf("Rebind(%v, %q) = %q, want %q", c.postgres, c.query, got, c.want)
		}
	}
}
