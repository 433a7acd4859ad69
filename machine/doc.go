// Package machine computes machine fingerprints and reads and writes the
// activation requests of offline activation: the part of licet that binds
// a license to one machine.
//
// # Machine identity
//
// [Machine.ID] reads the identity of this machine from, in this order:
// the environment variable [IDEnv] (LICET_MACHINE_ID) when it is set and
// not blank; the first non-empty line of /etc/machine-id, then of
// /var/lib/dbus/machine-id; the host name. In a container /etc/machine-id
// is often absent or empty and the host name is the container's, which
// changes when it is recreated: set LICET_MACHINE_ID (for example from a
// Kubernetes secret or the cluster id, the same on every node that shares
// a license) so that the fingerprint stays put. The zero [Machine] reads
// the real machine; tests replace its functions.
//
// # Fingerprints
//
// A fingerprint ([Fingerprint], [Machine.Fingerprint]) is the lowercase
// hex of
//
//	SHA-256(label || 0x00 || product || 0x00 || id)
//
// where label is "licet machine fingerprint v1" for an id read from the
// machine itself and "licet machine fingerprint v1 env" for an id given
// through LICET_MACHINE_ID. The product makes the fingerprints of one
// machine differ between products; the hash keeps the raw machine id on
// the machine; the label keeps an override that repeats another machine's
// /etc/machine-id from reproducing that machine's fingerprint. A license
// carries the fingerprint as the "host" entry ([BindingKey]) of its
// "bind" claim; package sdk passes this machine's fingerprint to
// verification under that key.
//
// # Activation requests
//
// An air-gapped site sends the vendor an [ActivationRequest], a small JSON
// file that `licet activate request` writes ([NewActivationRequest],
// [ActivationRequest.MarshalIndent]):
//
//	{
//	  "version": 1,
//	  "product": "widget-server",
//	  "fingerprint": "3f1c...64 hex digits",
//	  "source": "machine-id",
//	  "created": "2026-06-01T12:00:00Z"
//	}
//
// It holds no secret and no raw machine id. The vendor reads it with
// [ParseActivationRequest], which takes member names only in their
// documented spelling, each once, and refuses unknown members, trailing
// data and files over 64 KiB, so that what a person reads in the file is
// what the license is minted for; [ActivationRequest.Apply] then binds the
// license to be signed to the request's machine (`licet mint
// --from-request`).
//
// # What binding does not stop
//
// Binding deters copying a license to another machine; it does not stop
// whoever controls the machine: root, a container or user namespace, or a
// cloned virtual machine can present any machine id.
//
// # Dependencies
//
// machine imports the standard library, package token (for the
// [token.License] that [ActivationRequest.Apply] binds; token itself
// depends only on the CBOR library and go-version) and a small internal
// JSON checker; a test enforces it. It links no network code.
package machine
