package leaseapi

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWire pins the JSON names of the messages, which servers and
// clients of other licet versions read.
func TestWire(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 5, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		v    any
		want string
	}{
		{LeaseRequest{Product: "p", Fingerprint: "f"}, `{"product":"p","fingerprint":"f"}`},
		{LeaseRequest{Product: "p", Fingerprint: "f", Client: "c", Borrow: 60, Wait: 5}, `{"product":"p","fingerprint":"f","client":"c","borrow":60,"wait":5}`},
		{RenewRequest{Fingerprint: "f"}, `{"fingerprint":"f"}`},
		{ReleaseRequest{Fingerprint: "f"}, `{"fingerprint":"f"}`},
		{Lease{ID: "i", Token: "t", Expires: t0, RenewAfter: t0, Borrowed: true, Seats: SeatCount{Total: 3, InUse: 2, Borrowed: 1}},
			`{"lease_id":"i","token":"t","expires":"2026-12-08T05:00:00Z","renew_after":"2026-12-08T05:00:00Z","borrowed":true,"seats":{"total":3,"in_use":2,"borrowed":1}}`},
		{Status{BorrowsTotal: 4, Queue: 1, LeaseMax: 3600, Grant: "g", LogSize: 9},
			`{"seats":{"total":0,"in_use":0,"borrowed":0},"borrows_total":4,"queue":1,"lease_max":3600,"grant":"g","log_size":9}`},
	} {
		got, err := json.Marshal(c.v)
		if err != nil || string(got) != c.want {
			t.Errorf("%T: %s, %v\nwant %s", c.v, got, err, c.want)
		}
	}
}
