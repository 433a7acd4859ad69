package main

import (
	"os"
	"time"

	"github.com/licet/licet/webhook"
)

// webhookLoopbackEnv lets 'licet serve' of the test binary deliver to
// loopback receivers, polling often. The shipped binary does not read it.
const webhookLoopbackEnv = "LICET_TEST_WEBHOOK_LOOPBACK"

// webhookLeaseEnv, a duration, sets the lease of the deliveries that
// 'licet serve' of the test binary claims: a killed server's claims come
// due again sooner than the default minute.
const webhookLeaseEnv = "LICET_TEST_WEBHOOK_LEASE"

func init() {
	webhookTestHook = func(d *webhook.Dispatcher) {
		if os.Getenv(webhookLoopbackEnv) != "" {
			d.AllowLoopbackInsecure, d.Poll = true, 20*time.Millisecond
		}
		if lease, err := time.ParseDuration(os.Getenv(webhookLeaseEnv)); err == nil && lease > 0 {
			d.Lease = lease
		}
	}
}
