package data_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
)

// TestIDColumnsAreBinary: on a database made like the README's (plain CREATE DATABASE,
// the server's case-insensitive default collation) the migrated schema compares ids byte
// for byte, and Open refuses a schema with a non-binary id column, naming it.
func TestIDColumnsAreBinary(t *testing.T) {
	for _, engine := range datatest.Engines() {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			o := data.Options{Migrate: true}
			if engine == "mysql" {
				o.MySQLDSN = datatest.NewMySQLDatabase(t)
			} else {
				o.SQLitePath = filepath.Join(t.TempDir(), "ids.db")
			}
			d, cleanup, err := data.Open(ctx, o)
			if err != nil {
				t.Fatalf("open a fresh database: %v", err)
			}
			defer cleanup()
			db := d.SQL()
			if _, err := db.ExecContext(ctx, `INSERT INTO credit_line (user_id, status, frozen, score, credit_limit, temp_limit, temp_limit_expires_at, outstanding, held, opened_at, updated_at) VALUES ('victim-alice', 'active', 0, 700, 100, 0, 0, 0, 0, 0, 0)`); err != nil {
				t.Fatal(err)
			}
			// Another case is another id: a second row, and a lookup that finds nothing.
			if _, err := db.ExecContext(ctx, `INSERT INTO credit_line (user_id, status, frozen, score, credit_limit, temp_limit, temp_limit_expires_at, outstanding, held, opened_at, updated_at) VALUES ('VICTIM-ALICE', 'active', 0, 700, 100, 0, 0, 0, 0, 0, 0)`); err != nil {
				t.Fatalf("VICTIM-ALICE collides with victim-alice: %v", err)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_line WHERE user_id = 'Victim-Alice'`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("Victim-Alice matched %d lines (%v)", n, err)
			}
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM credit_line WHERE user_id = 'victim-alice '`).Scan(&n); err != nil || n != 0 {
				t.Fatalf("a trailing space matched %d lines (%v)", n, err)
			}

			// A table added without the rule: the next start names it.
			ddl := `CREATE TABLE late_table (merchant_id VARCHAR(64) NOT NULL, note VARCHAR(64) NOT NULL)`
			if engine == "sqlite" {
				ddl = `CREATE TABLE late_table (merchant_id VARCHAR(64) COLLATE NOCASE NOT NULL, note VARCHAR(64) COLLATE NOCASE NOT NULL)`
			}
			if _, err := db.ExecContext(ctx, ddl); err != nil {
				t.Fatal(err)
			}
			cleanup()
			_, cleanup2, err := data.Open(ctx, o)
			if err == nil {
				cleanup2()
				t.Fatal("started on a schema with a case-insensitive id column")
			}
			if !strings.Contains(err.Error(), "late_table.merchant_id") || strings.Contains(err.Error(), "late_table.note") {
				t.Fatalf("refusal should name late_table.merchant_id only: %v", err)
			}
		})
	}
}

func TestIsIDColumn(t *testing.T) {
	for name, want := range map[string]bool{
		"id": true, "user_id": true, "merchant_order_id": true, "idem_key": true, "channel_ref": true,
		"owner": true, "account": true, "scope": true, "asset_ids": true,
		"status": false, "description": false, "kind": false, "reason": false, "valid": false,
	} {
		if got := data.IsIDColumn(name); got != want {
			t.Errorf("IsIDColumn(%q) = %v, want %v", name, got, want)
		}
	}
}
