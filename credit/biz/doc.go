// Package biz owns the credit domain's rules: credit profiles and their versions, the limit
// policy that turns a scorecard result into a decision, credit lines with their accounting
// (holds, captures, releases) and audit trail, and the authorization risk engine. It imports
// no SQL, Redis or HTTP: credit/data implements its repositories.
//
// Choices worth knowing:
//   - Re-scoring an approved line sets the new score and limit even below outstanding +
//     held; available then shows zero (never negative) until principal is repaid. A declined
//     re-application leaves an existing line unchanged; a closed line is never reopened.
//   - The ops freeze is a flag beside billing's account status (active, overdue, closed), so
//     billing's SetStatus("active") never lifts a freeze and a freeze never hides overdue.
//   - Funding: CapitalFunding (configured capital − outstanding − held over all lines) until
//     the asset center installs its own with LineUseCase.SetFunding.
package biz
