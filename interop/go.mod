module github.com/licet/licet/interop

go 1.24.0

replace github.com/licet/licet => ../

require (
	github.com/fxamacker/cbor/v2 v2.10.0
	github.com/licet/licet v0.0.0-00010101000000-000000000000
	github.com/veraison/go-cose v1.3.0
)

require (
	filippo.io/edwards25519 v1.2.0 // indirect
	github.com/hashicorp/go-version v1.9.0 // indirect
	github.com/x448/float16 v0.8.4 // indirect
)
