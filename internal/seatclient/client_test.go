package seatclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAnswers: what the client makes of a server's answers, good and bad.
func TestAnswers(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef"
	for name, c := range map[string]struct {
		status  int
		ctype   string
		header  map[string]string
		body    string
		code    string        // "" = success
		retry   time.Duration // the RetryAfter wanted
		message string        // in the error
	}{
		"lease":            {201, "application/json", nil, `{"lease_id":"` + id + `","token":"x"}`, "", 0, ""},
		"full":             {429, "application/problem+json", map[string]string{"Retry-After": "12"}, `{"code":"seats_full","title":"All seats taken"}`, CodeSeatsFull, 12 * time.Second, "refused (seats_full, HTTP 429): All seats taken; retry after 12s"},
		"html error page":  {502, "text/html", nil, `<html>bad gateway</html>`, CodeLeaseUnavailable, 0, "not an answer of the lease API (Bad Gateway)"},
		"not json":         {201, "application/json", nil, `{"lease_id":`, CodeLeaseUnavailable, 0, "not an answer of the lease API"},
		"bad lease id":     {201, "application/json", nil, `{"lease_id":"../../x","token":"x"}`, CodeLeaseUnavailable, 0, "is not 32 lower case hex digits"},
		"no token":         {201, "application/json", nil, `{"lease_id":"` + id + `"}`, CodeLeaseUnavailable, 0, "no token"},
		"too large":        {201, "application/json", nil, `{"x":"` + strings.Repeat("a", maxSeatResponse) + `"}`, CodeLeaseUnavailable, 0, "answer larger than"},
		"bad retry-after":  {429, "application/problem+json", map[string]string{"Retry-After": "soon"}, `{"code":"seats_full"}`, CodeSeatsFull, 0, "refused (seats_full, HTTP 429)"},
		"problem, no code": {403, "application/problem+json", nil, `{"title":"forbidden"}`, CodeLeaseUnavailable, 0, "(Forbidden)"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1/leases" || r.Header.Get("Content-Type") != "application/json" {
					t.Errorf("request %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
				}
				w.Header().Set("Content-Type", c.ctype)
				for k, v := range c.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(c.status)
				w.Write([]byte(c.body))
			}))
			defer srv.Close()
			cl := &Client{Server: srv.URL + "/"}
			l, err := cl.Acquire(context.Background(), LeaseRequest{Product: "widget", Fingerprint: "ab"})
			if c.code == "" {
				if err != nil || l.ID != id {
					t.Fatalf("Acquire = %+v, %v", l, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != c.code || e.RetryAfter != c.retry || e.Op != "acquire" {
				t.Fatalf("Acquire error = %#v, want code %s, retry %v", err, c.code, c.retry)
			}
			if !strings.Contains(err.Error(), c.message) || !strings.HasPrefix(err.Error(), "seatclient: ") {
				t.Errorf("error %q, want it to contain %q", err, c.message)
			}
		})
	}
}

// TestBadInput: a lease id or server URL that cannot be right is refused
// before anything is sent.
func TestBadInput(t *testing.T) {
	cl := &Client{Server: "http://127.0.0.1:1"}
	if _, err := cl.Renew(context.Background(), "../status", "ab", ""); err == nil || !strings.Contains(err.Error(), "not 32 lower case hex") {
		t.Errorf("Renew with a path as lease id: %v", err)
	}
	if err := cl.Release(context.Background(), strings.Repeat("A", 32), "ab"); err == nil {
		t.Error("Release with upper case hex succeeded")
	}
	for _, u := range []string{"", "seats.lan", "file:///etc/passwd", "http://x/?a=b"} {
		if _, err := CheckServerURL(u); err == nil {
			t.Errorf("CheckServerURL(%q) = nil", u)
		}
	}
	_, err := (&Client{Server: "http://127.0.0.1:1"}).Status(context.Background())
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeLeaseUnavailable || e.Status != 0 || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("Status of nothing: %v", err)
	}
}
