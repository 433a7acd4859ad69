// Package license is the partner quickstart of the README, compiled and
// tested: license.go must stay identical to the README's Go snippet
// (TestREADMESnippet checks it). vendor.pub stands in for a vendor's
// public key: it is the public sandbox key, so tests can sign with it.
package license
