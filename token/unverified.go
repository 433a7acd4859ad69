package token

// Unverified is an object decoded without checking its signature or any
// rule that needs a key or a clock: for inspection only. Never act on it.
type Unverified struct {
	Message *Message
	Form    Form
	// Exactly one of the following is set, according to Message.Header.Typ.
	License     *License
	Grant       *Grant
	Revocations *Revocations
	// EmbeddedGrant is the decoded grant carried by a license, if any.
	EmbeddedGrant *Grant
}

// ParseUnverified decodes any licet object in any form and its claims,
// WITHOUT verifying its signature. Use it to show what a token claims; use
// package verify to decide whether to believe it.
func ParseUnverified(in []byte) (*Unverified, error) {
	m, form, err := Decode(in)
	if err != nil {
		return nil, err
	}
	u := &Unverified{Message: m, Form: form}
	switch m.Header.Typ {
	case TypeLicense:
		u.License, err = DecodeLicense(m.Payload)
		if err == nil && m.Header.Grant != nil {
			u.EmbeddedGrant, err = DecodeGrant(m.Header.Grant.Payload)
		}
	case TypeGrant:
		u.Grant, err = DecodeGrant(m.Payload)
	case TypeRevocations:
		u.Revocations, err = DecodeRevocations(m.Payload)
	default:
		return nil, malformedf("unknown object type %q", m.Header.Typ)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}
