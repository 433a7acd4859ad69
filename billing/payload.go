package billing

import (
	"bytes"
	"encoding/json"
	"errors"
)

// The parts of Stripe's objects that the endpoint reads. Each is decoded
// leniently (unknown fields ignored: Stripe adds fields in every API
// version), and a field that moved between API versions is read from
// both places.

// event is a Stripe event (object "event").
type event struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Type   string `json:"type"`
	Data   struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// ref is a field that Stripe sends as an id ("cus_...") or, when
// expanded, as the object with that id.
type ref string

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*r = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = ref(s)
		return nil
	case len(b) > 0 && b[0] == '{':
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		*r = ref(o.ID)
		return nil
	}
	return errors.New("an id or an object with an id")
}

// price is a Stripe price (or its id).
type price struct {
	ID ref `json:"id"`
}

// priceRef accepts a price as an id or as an object.
type priceRef = ref

// session is a Checkout Session (object "checkout.session").
type session struct {
	ID              string `json:"id"`
	Mode            string `json:"mode"`
	PaymentStatus   string `json:"payment_status"`
	Customer        ref    `json:"customer"`
	CustomerEmail   string `json:"customer_email"`
	CustomerDetails *struct {
		Email string `json:"email"`
	} `json:"customer_details"`
	Subscription ref               `json:"subscription"`
	Metadata     map[string]string `json:"metadata"`
	// LineItems is absent from Stripe's events (it is expandable only);
	// read when a payload carries it.
	LineItems *struct {
		Data []struct {
			Price priceRef `json:"price"`
		} `json:"data"`
	} `json:"line_items"`
}

// MetadataPrice is the Checkout Session metadata key naming the price
// a session sells, since Stripe's checkout.session.completed event does
// not carry the session's line items.
const MetadataPrice = "licet_price"

// email returns the session's customer email.
func (s *session) email() string {
	if s.CustomerDetails != nil && s.CustomerDetails.Email != "" {
		return s.CustomerDetails.Email
	}
	return s.CustomerEmail
}

// prices returns the prices the session names.
func (s *session) prices() []string {
	var out []string
	if s.LineItems != nil {
		for _, li := range s.LineItems.Data {
			if li.Price != "" {
				out = append(out, string(li.Price))
			}
		}
	}
	if len(out) == 0 && s.Metadata[MetadataPrice] != "" {
		out = append(out, s.Metadata[MetadataPrice])
	}
	return out
}

// invoice is an Invoice (object "invoice").
type invoice struct {
	ID            string `json:"id"`
	Customer      ref    `json:"customer"`
	CustomerEmail string `json:"customer_email"`
	BillingReason string `json:"billing_reason"`
	// Subscription is where API versions before 2025-03-31 put it;
	// Parent.SubscriptionDetails.Subscription where later ones do.
	Subscription ref `json:"subscription"`
	Parent       *struct {
		SubscriptionDetails *struct {
			Subscription ref `json:"subscription"`
		} `json:"subscription_details"`
	} `json:"parent"`
	Lines struct {
		Data []invoiceLine `json:"data"`
	} `json:"lines"`
}

// invoiceLine is a line of an invoice.
type invoiceLine struct {
	// Price is where API versions before 2025-03-31 put it;
	// Pricing.PriceDetails.Price where later ones do.
	Price   *price `json:"price"`
	Pricing *struct {
		PriceDetails *struct {
			Price priceRef `json:"price"`
		} `json:"price_details"`
	} `json:"pricing"`
	Period struct {
		Start int64 `json:"start"`
		End   int64 `json:"end"`
	} `json:"period"`
}

func (l *invoiceLine) price() string {
	if l.Pricing != nil && l.Pricing.PriceDetails != nil && l.Pricing.PriceDetails.Price != "" {
		return string(l.Pricing.PriceDetails.Price)
	}
	if l.Price != nil {
		return string(l.Price.ID)
	}
	return ""
}

func (in *invoice) subscription() string {
	if in.Parent != nil && in.Parent.SubscriptionDetails != nil && in.Parent.SubscriptionDetails.Subscription != "" {
		return string(in.Parent.SubscriptionDetails.Subscription)
	}
	return string(in.Subscription)
}

// subscription is a Subscription (object "subscription").
type subscription struct {
	ID       string `json:"id"`
	Customer ref    `json:"customer"`
}
