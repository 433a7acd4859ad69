package usage_test

import (
	"os"
	"time"

	"github.com/licet/licet/seats/usage"
)

// A statement of hand-made records: two leases that overlap, a refusal
// while both seats are taken, one lease released early.
func ExampleBuild() {
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	events := []*usage.Event{
		{Seq: 0, At: t0, Event: usage.EventGranted, Lease: "a", Product: "widget", Expires: t0.Add(time.Hour)},
		{Seq: 1, At: t0.Add(10 * time.Minute), Event: usage.EventGranted, Lease: "b", Product: "widget", Expires: t0.Add(70 * time.Minute)},
		{Seq: 2, At: t0.Add(20 * time.Minute), Event: usage.EventRefused, Product: "widget", Reason: usage.ReasonSeatsFull},
		{Seq: 3, At: t0.Add(40 * time.Minute), Event: usage.EventReleased, Lease: "b"},
	}
	s := usage.Build(usage.Site{Vendor: "acme", Site: "plant-1", GrantID: "00112233445566778899aabbccddeeff", Seats: 2}, events, usage.Options{})
	s.WriteText(os.Stdout)
	// Output:
	// Seat usage of site plant-1 (vendor acme, grant 00112233445566778899aabbccddeeff): 2 seats
	// 4 records, 2026-12-07T09:00:00Z to 2026-12-07T09:40:00Z; days in UTC
	//
	// DAY         PEAK  OVER  SEAT-HOURS  REFUSED  BORROWS  LEASES
	// 2026-12-07  2           1.50        1        0        2
	// TOTAL       2           1.50        1        0        2
	//
	// DAY         PRODUCT  PEAK  SEAT-HOURS  REFUSED  BORROWS  LEASES
	// 2026-12-07  widget   2     1.50        1        0        2
}
