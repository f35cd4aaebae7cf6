package service_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite"

	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/e2etest"
	"github.com/huabei/huabei/billing/ledger/biz"
)

// TestNoCallerCanOverflowTheBooksE2E (issue 16, defect 1): 100 repayments of
// 1,000,000,000,000,000.00 used to overflow customer.credit_balance (SQLite turned it into
// a float, MariaDB failed with 1690), after which trial balance, funding and every
// authorization answered 500, across restarts. Now an absurd amount is refused when
// parsed, and a posting the books cannot hold is a 422 that writes nothing.
func TestNoCallerCanOverflowTheBooksE2E(t *testing.T) {
	for _, engine := range e2etest.Engines() {
		t.Run(engine, func(t *testing.T) {
			s := e2etest.Start(t, e2etest.Options{Engine: engine})
			s.SetClock("2026-11-05T10:00:00+08:00")
			openLine(t, s, "whale", "")
			whale := e2etest.Token("whale", auth.RoleShopper)
			for i := range 100 {
				r := s.Call("POST", "/v1/users/whale/repayments", whale, map[string]any{"amount": "1000000000000000.00"}, fmt.Sprintf("Idempotency-Key: whale-%d", i))
				if r.Status != 400 {
					t.Fatalf("repayment %d of 10^15 yuan: %d %s (want 400)", i, r.Status, r.Raw)
				}
			}
			// The largest amount that parses, repeated: accepted or refused with a 4xx, never a 5xx.
			for i := range 20 {
				r := s.Call("POST", "/v1/users/whale/repayments", whale, map[string]any{"amount": "100000000000.00"}, fmt.Sprintf("Idempotency-Key: whale-max-%d", i))
				if r.Status >= 500 {
					t.Fatalf("maximal repayment %d: %d %s", i, r.Status, r.Raw)
				}
			}
			booksWork := func(when string) {
				t.Helper()
				tb := s.Must(200, "GET", "/v1/ops/ledger/trial-balance", ops, nil)
				if tb.Body["balanced"] != true {
					t.Fatalf("%s: trial balance: %s", when, tb.Raw)
				}
				s.Must(200, "GET", "/v1/abs/funding", ops, nil)
				p := s.Must(200, "POST", "/v1/payments", merchant, map[string]any{"user_id": "whale", "merchant_order_id": "after-" + when, "amount": "10.00"})
				if p.Str("status") != "authorized" {
					t.Fatalf("%s: authorization: %s", when, p.Raw)
				}
			}
			booksWork("repayments")

			// Fill the books to just below the ledger's bound (as ten thousand maximal
			// postings would): the next repayment is a 422 and changes nothing.
			var db *sql.DB
			var err error
			if engine == "mysql" {
				db, err = sql.Open("mysql", s.MySQLDSN)
			} else {
				db, err = sql.Open("sqlite", "file:"+filepath.Join(s.DataDir, "huabei.db")+"?_pragma=busy_timeout(20000)")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Exec(`UPDATE ledger_volume SET debits = ?`, int64(biz.MaxVolume/biz.VolumeShards)-100); err != nil {
				t.Fatal(err)
			}
			before := s.Must(200, "GET", "/v1/users/whale/account", whale, nil)
			r := s.Call("POST", "/v1/users/whale/repayments", whale, map[string]any{"amount": "1.01"}, "Idempotency-Key: whale-full")
			if r.Status != 422 || r.Reason() != "LEDGER_CAPACITY_EXCEEDED" {
				t.Fatalf("repayment into full books: %d %s (want 422 LEDGER_CAPACITY_EXCEEDED)", r.Status, r.Raw)
			}
			if after := s.Must(200, "GET", "/v1/users/whale/account", whale, nil); after.Str("credit_balance") != before.Str("credit_balance") {
				t.Fatalf("a refused repayment changed the account: %s → %s", before.Raw, after.Raw)
			}
			s.Must(200, "GET", "/v1/ops/ledger/trial-balance", ops, nil)
			s.Must(200, "GET", "/v1/abs/funding", ops, nil)
			if _, err := db.Exec(`UPDATE ledger_volume SET debits = 0`); err != nil {
				t.Fatal(err)
			}
			s.Restart()
			booksWork("restart")
		})
	}
}
