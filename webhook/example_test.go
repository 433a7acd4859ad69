package webhook_test

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/licet/licet/webhook"
)

// A receiver checks the three headers against the body it read, with the
// secret it was given when it subscribed, and deduplicates by the id.
func ExampleVerify() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"test": 2432232314}`)
	at := time.Unix(1614265330, 0)
	sig, _ := webhook.Sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", at, body)

	h := http.Header{}
	h.Set(webhook.HeaderID, "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set(webhook.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	h.Set(webhook.HeaderSignature, sig)
	id, err := webhook.Verify(secret, h, body, at.Add(time.Minute))
	fmt.Println(sig)
	fmt.Println(id, err)
	_, err = webhook.Verify(secret, h, []byte(`{"test": 1}`), at)
	fmt.Println(err)
	// Output:
	// v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	// msg_p5jXN8AQM9LWM0D4loKWxJek <nil>
	// webhook: no matching signature
}
