package machine_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"time"

	"github.com/licet/licet/machine"
	"github.com/licet/licet/token"
)

// The site writes an activation request; the vendor reads it and binds
// the license it is about to sign to the site's machine.
func Example() {
	// The site: a container with LICET_MACHINE_ID set. A zero Machine
	// would read the real machine.
	site := &machine.Machine{
		Getenv: func(k string) string {
			if k == machine.IDEnv {
				return "cluster-7"
			}
			return ""
		},
		ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist },
	}
	req, err := site.ActivationRequest("widget-server", time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		log.Fatal(err)
	}
	data, err := req.MarshalIndent() // sent to the vendor
	if err != nil {
		log.Fatal(err)
	}

	// The vendor.
	got, err := machine.ParseActivationRequest(data)
	if err != nil {
		log.Fatal(err)
	}
	lic := &token.License{Subject: "customer-42", Tier: "pro"}
	if err := got.Apply(lic); err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.Source, lic.Audience, lic.Bind[machine.BindingKey][:16]+"...")

	// A license already bound elsewhere is not rebound silently.
	other := &token.License{Bind: map[string]string{machine.BindingKey: "00"}}
	var conflict *machine.ConflictError
	fmt.Println(errors.As(got.Apply(other), &conflict), conflict.Bind)
	// Output:
	// env [widget-server] 007686cda997c8f1...
	// true 00
}
