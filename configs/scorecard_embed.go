package configs

import _ "embed"

// Scorecard is configs/scorecard.json as built into the binary: the credit service's
// default scorecard when credit.scorecard_path is empty.
//
//go:embed scorecard.json
var Scorecard []byte
