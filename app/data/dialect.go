package data

import (
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect hides the few statements that differ between MySQL/MariaDB and SQLite.
// Everything else is plain SQL with ? placeholders that both engines run.
type Dialect interface {
	// Name is "mysql" or "sqlite".
	Name() string
	// InsertIgnore returns "INSERT IGNORE INTO" or "INSERT OR IGNORE INTO".
	InsertIgnore() string
	// Upsert returns the clause that follows an INSERT ... VALUES (...) to update the
	// given columns on a key conflict, each set to the inserted value plus its old value
	// when add is true (counters) or to the inserted value otherwise.
	// keys lists the conflict columns (needed by SQLite).
	Upsert(keys []string, add bool, cols ...string) string
	// ForUpdate returns " FOR UPDATE" where row locks exist; SQLite's immediate
	// transactions already hold the database write lock, so there it is empty.
	ForUpdate() string
	// IsDuplicate reports a unique-key violation.
	IsDuplicate(err error) bool
	// IsRetryable reports a deadlock, lock-wait timeout or busy database: the whole
	// transaction may be retried.
	IsRetryable(err error) bool
}

type mysqlDialect struct{}
type sqliteDialect struct{}

// MySQL and SQLite are the two dialects.
var (
	MySQL  Dialect = mysqlDialect{}
	SQLite Dialect = sqliteDialect{}
)

func (mysqlDialect) Name() string         { return "mysql" }
func (mysqlDialect) InsertIgnore() string { return "INSERT IGNORE INTO" }
func (mysqlDialect) ForUpdate() string    { return " FOR UPDATE" }
func (mysqlDialect) Upsert(keys []string, add bool, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if add {
			parts[i] = fmt.Sprintf("%s = %s + VALUES(%s)", c, c, c)
		} else {
			parts[i] = fmt.Sprintf("%s = VALUES(%s)", c, c)
		}
	}
	return " ON DUPLICATE KEY UPDATE " + strings.Join(parts, ", ")
}
func (mysqlDialect) IsDuplicate(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}
func (mysqlDialect) IsRetryable(err error) bool {
	var me *mysql.MySQLError
	// 1213 deadlock, 1205 lock wait timeout, 1020 record changed (MariaDB snapshot isolation)
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205 || me.Number == 1020)
}

func (sqliteDialect) Name() string         { return "sqlite" }
func (sqliteDialect) InsertIgnore() string { return "INSERT OR IGNORE INTO" }
func (sqliteDialect) ForUpdate() string    { return "" }
func (sqliteDialect) Upsert(keys []string, add bool, cols ...string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		if add {
			parts[i] = fmt.Sprintf("%s = %s + excluded.%s", c, c, c)
		} else {
			parts[i] = fmt.Sprintf("%s = excluded.%s", c, c)
		}
	}
	return " ON CONFLICT (" + strings.Join(keys, ", ") + ") DO UPDATE SET " + strings.Join(parts, ", ")
}
func (sqliteDialect) IsDuplicate(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
func (sqliteDialect) IsRetryable(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}
