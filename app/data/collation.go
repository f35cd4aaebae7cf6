package data

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/pressly/goose/v3"
)

// Ids are exact, byte for byte. MariaDB's default collation (utf8mb4_general_ci, what a
// plain CREATE DATABASE gives) compares case- and accent-insensitively, so on such a
// schema a token for VICTIM-ALICE read and spent victim-alice's line. Every string id
// column is therefore declared `COLLATE BINARY` (see migrations/README.md): MariaDB makes
// it VARBINARY, SQLite uses its built-in byte comparison. Open refuses a schema where an
// id-like column is not binary.

// IsIDColumn reports whether a string column holds an id by its name: id, *_id, *_ids,
// *_key, *_ref, and the ledger's owner and account, the idempotency scope.
func IsIDColumn(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "id", "owner", "account", "scope":
		return true
	}
	for _, s := range []string{"_id", "_ids", "_key", "_ref"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// mysqlStringTypes are the information_schema DATA_TYPEs that carry a collation.
const mysqlStringTypes = `'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext'`

// idColumn is a string id column that compares by a non-binary collation.
type idColumn struct {
	table, column, columnType, collation, nullable string
	def                                            sql.NullString
}

func (c idColumn) String() string { return c.table + "." + c.column + " (" + c.collation + ")" }

// nonBinaryIDColumns lists the id-like string columns of the current schema whose
// collation is not binary, ordered by table and column.
func nonBinaryIDColumns(ctx context.Context, db *sql.DB, d Dialect) ([]idColumn, error) {
	if d.Name() == "sqlite" {
		return sqliteNonBinaryIDColumns(ctx, db)
	}
	rows, err := db.QueryContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME, IS_NULLABLE, COLUMN_DEFAULT
		FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE IN (`+mysqlStringTypes+`) AND COLLATION_NAME IS NOT NULL
		ORDER BY TABLE_NAME, ORDINAL_POSITION`)
	if err != nil {
		return nil, fmt.Errorf("data: read column collations: %w", err)
	}
	defer rows.Close()
	var out []idColumn
	for rows.Next() {
		var c idColumn
		if err := rows.Scan(&c.table, &c.column, &c.columnType, &c.collation, &c.nullable, &c.def); err != nil {
			return nil, fmt.Errorf("data: read column collations: %w", err)
		}
		// goose's own bookkeeping table has no ids of ours.
		if c.table == "goose_db_version" || !IsIDColumn(c.column) || isBinaryCollation(c.collation) {
			continue
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("data: read column collations: %w", err)
	}
	return out, nil
}

// isBinaryCollation accepts the byte-wise collations (utf8mb4_bin, utf8mb4_nopad_bin, ...).
func isBinaryCollation(c string) bool {
	c = strings.ToLower(c)
	return c == "binary" || strings.HasSuffix(c, "_bin")
}

// sqliteCollate finds a column definition's COLLATE clause.
var sqliteCollate = regexp.MustCompile(`(?i)\bCOLLATE\s+("?)(\w+)("?)`)

// sqliteNonBinaryIDColumns reads the CREATE TABLE statements: SQLite compares bytes unless
// a column declares another collation (NOCASE, RTRIM).
func sqliteNonBinaryIDColumns(ctx context.Context, db *sql.DB) ([]idColumn, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("data: read table definitions: %w", err)
	}
	defer rows.Close()
	var out []idColumn
	for rows.Next() {
		var table, ddl string
		if err := rows.Scan(&table, &ddl); err != nil {
			return nil, fmt.Errorf("data: read table definitions: %w", err)
		}
		open, end := strings.Index(ddl, "("), strings.LastIndex(ddl, ")")
		if open < 0 || end <= open {
			continue
		}
		for _, def := range strings.Split(ddl[open+1:end], ",") {
			fields := strings.Fields(def)
			if len(fields) == 0 || !IsIDColumn(strings.Trim(fields[0], "\"`[]")) {
				continue
			}
			if m := sqliteCollate.FindStringSubmatch(def); m != nil && !strings.EqualFold(m[2], "binary") {
				out = append(out, idColumn{table: table, column: strings.Trim(fields[0], "\"`[]"), collation: m[2]})
			}
		}
	}
	return out, rows.Err()
}

// CheckIDCollation fails when an id-like column of the schema compares by a non-binary
// collation, naming every such table.column.
func CheckIDCollation(ctx context.Context, db *sql.DB, d Dialect) error {
	cols, err := nonBinaryIDColumns(ctx, db, d)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return nil
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.String()
	}
	return fmt.Errorf("data: refusing to start: id columns must compare byte for byte (declare them COLLATE BINARY, see app/data/migrations/README.md), but these do not: %s", strings.Join(names, ", "))
}

// binaryIDsVersion converts the id columns of the tables created before the rule existed.
const binaryIDsVersion = 120

// binaryIDsMigration turns every non-binary id-like column of the schema into its binary
// form on MySQL/MariaDB (VARCHAR(n) COLLATE binary is VARBINARY(n)), keeping nullability
// and default; SQLite already compares bytes.
func binaryIDsMigration(d Dialect) *goose.Migration {
	up := func(ctx context.Context, db *sql.DB) error {
		if d.Name() == "sqlite" {
			return nil
		}
		cols, err := nonBinaryIDColumns(ctx, db, d)
		if err != nil {
			return err
		}
		byTable := map[string][]string{}
		for _, c := range cols {
			clause := fmt.Sprintf("MODIFY COLUMN `%s` %s COLLATE binary", c.column, c.columnType)
			if c.nullable == "NO" {
				clause += " NOT NULL"
			} else {
				clause += " NULL"
			}
			if c.def.Valid && c.def.String != "NULL" {
				clause += " DEFAULT " + c.def.String
			}
			byTable[c.table] = append(byTable[c.table], clause)
		}
		tables := make([]string, 0, len(byTable))
		for t := range byTable {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			if _, err := db.ExecContext(ctx, "ALTER TABLE `"+t+"` "+strings.Join(byTable[t], ", ")); err != nil {
				return fmt.Errorf("data: binary id columns of %s: %w", t, err)
			}
		}
		return nil
	}
	return goose.NewGoMigration(binaryIDsVersion, &goose.GoFunc{RunDB: up}, &goose.GoFunc{RunDB: func(context.Context, *sql.DB) error { return nil }})
}
