package data

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// Migrations are plain SQL that both engines run. Conventions: ids BIGINT (made by
// app/ids), money BIGINT fen, business dates INT yyyymmdd, timestamps BIGINT unix
// milliseconds, VARCHAR with explicit lengths, no engine-specific clauses.
// Version ranges: 1-9 app, 10-19 ledger, 20-29 credit, 30-39 payments, 40-49 billing,
// 50-59 installments, 60-69 abs. Every string id column is declared COLLATE BINARY
// (migrations/README.md); version 120 is a Go migration that converted the older tables.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema up to date with the embedded migrations.
func Migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	dialect := goose.DialectMySQL
	if d.Name() == "sqlite" {
		dialect = goose.DialectSQLite3
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db, sub, goose.WithAllowOutofOrder(true), goose.WithGoMigrations(binaryIDsMigration(d)))
	if err != nil {
		return fmt.Errorf("data: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("data: migrate: %w", err)
	}
	return nil
}
