package main

import (
	"os"
	"time"

	"github.com/licet/licet/webhook"
)

// webhookLoopbackEnv lets 'licet serve' of the test binary deliver to
// loopback receivers, polling often. The shipped binary does not read it.
const webhookLoopbackEnv = "LICET_TEST_WEBHOOK_LOOPBACK"

func init() {
	webhookTestHook = func(d *webhook.Dispatcher) {
		if os.Getenv(webhookLoopbackEnv) != "" {
			d.AllowLoopbackInsecure, d.Poll = true, 20*time.Millisecond
		}
	}
}
