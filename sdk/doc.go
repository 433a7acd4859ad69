// Package sdk is what a product embeds to be licensed with licet: it finds
// the license, keeps it fresh, answers cheap questions on every request,
// gates HTTP endpoints, and degrades to "nothing allowed" instead of
// crashing when anything about licensing is wrong. Everything works
// offline. It is built on package verify, which decides whether a single
// token is valid; sdk never weakens a check of verify.
//
// # Loading
//
// The product builds a [Config] value (there is no package-level state)
// and calls [Load]:
//
//	//go:embed vendor.pub
//	var vendorKey []byte
//
//	lic, err := sdk.Load(sdk.Config{
//		TrustedKeys:    vendorKey,
//		Issuer:         "acme",
//		Product:        "widget-server",
//		ProductVersion: "3.1.0",
//		Tiers:          []string{"free", "pro", "enterprise"},
//	})
//	if err != nil {
//		log.Printf("licensing: %v", err) // lic allows nothing, but works
//	}
//
// Load looks, in this order, at Config.LicensePath, at an environment
// variable (WIDGET_SERVER_LICENSE by default; [DefaultEnvVar]) holding
// either a license or a path, and at the file
// os.UserConfigDir()/widget-server/license.lic. The first license that
// verifies wins. When none does, the
// *[LoadError] lists every place and why it failed: not found, unreadable,
// or refused with a verification code ("expired", "wrong_product", ...).
// Only a broken Config (a *[ConfigError]) gives a nil handle; in every
// other case the handle works and allows nothing until a valid license
// appears.
//
// # Asking
//
// The [License] handle answers from many goroutines at once:
// [License.Allows] (no allocation, well under 100 ns),
// [License.TierAtLeast] against the product's ladder, [License.Limit],
// [License.HasRight], [License.ExpiresIn], [License.InGrace],
// [License.Claims], [License.Status] and [License.Err]. The verified
// license sits behind an atomic pointer, so a reload never blocks a
// request. Each answer also checks the clock: a license past its expiry
// and grace stops allowing even if nothing polls.
//
// # Staying fresh
//
// [License.Watch] polls the license places and the revocation list (size,
// modification time and content hash; no file-system notification
// needed) and the clock, and calls back when another license comes into
// effect, when the license will expire soon, enters grace or expires, and
// when something goes wrong. A reload that fails (a corrupt or deleted
// file) keeps the last good license in effect and reports the error; a
// license that the revocation list now names stops allowing at once.
// [License.Reload] does one poll on demand (on SIGHUP, say).
//
// # Offline clock safety
//
// With Config.StatePath set, a small JSON file (written atomically, mode
// 0600) keeps the highest time seen (license and revocation list issue
// times, and the time of every check, whatever its outcome: a clock set
// back after the license expired is caught too), the highest revocation
// list sequence number per issuer, and every entry of every revocation
// list taken. A clock set back behind that mark by more than
// Config.ClockTolerance is a *[ClockRollbackError]; a removed revocation
// list is a *[ListRollbackError]; both deny everything until put right.
//
// Revocation is monotonic (FORMAT section 6): once the SDK has seen an
// entry revoked, the license, grant or key it names stays revoked,
// whatever list comes later, whatever its seq and whichever trusted key
// signed it (retired keys sign lists too, so a leaked one could otherwise
// publish an empty list with a huge seq). A list that no longer names
// entries an earlier one named is taken for the rest and reported once as
// a *[ListDroppedError] (Reload, OnError, Status warnings); a list with a
// lower seq than one seen is taken the same way, so such a leaked list
// locks out none of the vendor's later lists. A state
// file that cannot be read is a *[StateError], never a panic. Without a
// state file the same checks run against what the running process has
// seen. The state file is a tripwire, not a vault: whoever can delete it
// resets it.
//
// A revocation list applies only to its own issuer's licenses (and to
// licenses minted under that issuer's grants). Config.RevocationsPath
// holds one list, or one list per issuer (PEM blocks or text tokens one
// after another). An issuer whose list was seen must keep one: a file
// that now holds only another issuer's list is a *[ListRollbackError]
// (Missing) for the first issuer, so one issuer's list can neither
// replace nor un-revoke another's. A list issued after the clock (beyond
// the leeway) is a *[RevocationsError] that says to check the clock; it
// never raises the high-water mark, so a list dated in the future cannot
// lock the product out once the clock or the list is put right.
//
// # Enforcing
//
// [License.Require], [License.RequireTier] and [License.RateLimit] are
// net/http middleware. A refused request gets 403 (429 for the rate
// limit, with Retry-After) and an RFC 9457 application/problem+json body
// ([Problem]) whose "code" is stable: the verification codes of package
// verify ("scope_missing" with the "scope" that is missing, "expired",
// "revoked", ...) and this package's Code constants ("no_license",
// "tier_too_low", "rate_limited", "clock_rollback", ...); see [CodeOf].
// The body holds the code and a generic message only, nothing about the
// license, the machine or the server; Config.Logger (a *slog.Logger)
// receives the detail of each refusal. The rate limit is the license's
// "rpm" limit ([LimitRPM]), enforced with golang.org/x/time/rate in one
// bucket per [License] that reloads resize but never refill.
//
// # Machine binding and offline activation
//
// [Load] passes this machine's fingerprint (package
// [github.com/licet/licet/machine]: a hash of LICET_MACHINE_ID,
// /etc/machine-id, /var/lib/dbus/machine-id or the host name, labelled
// with the product and with whether the id came from LICET_MACHINE_ID) to
// verification as the "host" binding: a license whose "bind" claim names
// another fingerprint is refused (binding_mismatch). For an air-gapped
// site, `licet activate request` writes a [machine.ActivationRequest] and
// the vendor mints a license bound to it with `licet mint --from-request`
// ([machine.ActivationRequest.Apply]). [Config.Machine] replaces the
// machine's identity sources in tests.
//
// Binding deters copying a license to another machine; it does not stop
// whoever controls the machine: root, a container or user namespace, or
// a cloned virtual machine can present any machine id. Fingerprints of
// ids from /etc/machine-id, /var/lib/dbus/machine-id and the host name
// are those of earlier versions; the fingerprint of a LICET_MACHINE_ID
// value changed when the label was added, so a license bound from such a
// request before must be minted again from a new request.
//
// # Floating seats
//
// With Config.LeaseServer set, the product runs on a lease of one of a
// site's floating seats, from the site's lease server (`licet seats
// serve`, on the site's network; [SeatClient] speaks its API). [Load]
// asks for a lease bound to this machine's fingerprint (or renews the one
// saved at Config.LeasePath) and verifies it like any license: a lease is
// a license signed by the site's key under the vendor's site grant, so
// the vendor key alone checks the chain, the grant's limits (a lease
// longer than the grant allows is grant_violation) and the binding (a
// lease for another machine is binding_mismatch). The lease is the first
// place looked at ([KindLease]); the others follow, so a borrowed lease
// (`licet seats borrow`) saved as the license file keeps a laptop off the
// network running.
//
// The License renews the lease in the background after a third of its
// life, give or take [LeaseJitter] ([RenewDelay]); a server that forgot the
// lease (lease_gone) gets a new acquisition, and the forgotten lease
// stops allowing at once; every seat taken (seats_full) is asked again
// after the server's Retry-After; a server that cannot be reached leaves
// the lease in hand in effect until its signed expiry, after which
// nothing is allowed (expired) until a new lease comes. Failed renewals
// show in [License.Status] warnings. [License.Close] releases the lease
// at shutdown; a License with a lease server must be closed, or its
// renewal goroutine runs on.
//
// # Dependencies
//
// sdk imports the standard library, packages verify, token and machine
// (and two small internal packages: a JSON checker and the lease server
// client), and golang.org/x/time/rate; a test
// enforces it.
package sdk
