// Package configs embeds the default configuration so the server runs with no files
// beside it; HUABEI_CONFIG points at another file to replace it.
package configs

import _ "embed"

// Default is configs/config.yaml as built into the binary.
//
//go:embed config.yaml
var Default []byte
