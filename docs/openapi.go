// Package docs holds documents that programs serve: the OpenAPI document
// of the issuance API ('licet serve'), kept as docs/openapi.json.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the issuance API.
//
//go:embed openapi.json
var OpenAPI []byte
