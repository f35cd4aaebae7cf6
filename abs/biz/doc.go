// Package biz holds the asset center's rules: pool analytics and stratification, the
// pool selection criteria, the true-sale transfer, funding, servicing and servicer
// reports. It declares the repository and ledger interfaces it needs and imports no SQL
// or HTTP.
package biz
