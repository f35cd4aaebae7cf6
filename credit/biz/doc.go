// Package biz owns the credit domain's rules: credit profiles and their versions, the limit
// policy that turns a scorecard result into a decision, credit lines with their accounting
// (holds, captures, releases) and audit trail, and the authorization risk engine. It imports
// no SQL, Redis or HTTP: credit/data implements its repositories.
package biz
