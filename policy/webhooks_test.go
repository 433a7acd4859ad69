package policy_test

import (
	"strings"
	"testing"

	"github.com/licet/licet/policy"
)

func TestWebhooks(t *testing.T) {
	p, err := policy.Parse([]byte(`
[[webhooks]]
name   = "crm"
url    = "https://crm.example.com/hooks/licet"
events = ["license.issued", "license.revoked"]
secret = "env:LICET_WEBHOOK_CRM"

[[webhooks]]
name   = "ops"
url    = "http://ops.internal:8080/x"
events = ["license.*"]
secret = "file:/etc/licet/ops.whsec"
`), "licet.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Webhooks) != 2 || p.Webhooks[0].Name != "crm" || p.Webhooks[0].Secret != "env:LICET_WEBHOOK_CRM" || p.Webhooks[1].Events[0] != "license.*" {
		t.Fatalf("%+v", p.Webhooks)
	}
	_, err = policy.Parse([]byte(`
[[webhooks]]
url    = "ftp://crm.example.com"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[webhooks]]
name   = "crm"
url    = "https://a:b@crm.example.com"
events = ["license.sold"]
secret = "vault:x"

[[webhooks]]
name   = "crm"
url    = "https://crm.example.com"
secret = "env:X"
colour = "red"
`), "licet.toml")
	if err == nil {
		t.Fatal("bad webhooks accepted")
	}
	for _, want := range []string{"unknown keys: webhooks.colour"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = policy.Parse([]byte(`
[[webhooks]]
url    = "ftp://crm.example.com"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[webhooks]]
name   = "crm"
url    = "https://a:b@crm.example.com"
events = ["license.sold"]
secret = "vault:x"

[[webhooks]]
name   = "crm"
url    = "https://crm.example.com"
secret = "env:X"

[[webhooks]]
name   = "-Ops Team"
url    = "https://ops.example.com"
secret = "file:/etc/licet/ops.whsec"
`), "licet.toml")
	for _, want := range []string{"webhook #1: name is required", "webhook #1: url \"ftp://crm.example.com\" is not an http or https URL",
		"webhook #1: secret holds the secret itself", "webhook crm: url carries user information", `webhook crm: unknown event "license.sold"`,
		`webhook crm: secret "vault:x"`, "webhook crm: the name is used twice", `webhook -Ops Team: name "-Ops Team": use lowercase letters`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "MfKQ9r8") {
		t.Error("the error quotes the secret")
	}
}
