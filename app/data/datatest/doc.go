// Package datatest gives data-layer tests a fresh, migrated database on every engine the
// service supports: SQLite in a temp folder and a throwaway MariaDB/MySQL database. A
// test written with ForEachEngine runs once per engine; a missing MariaDB fails the
// test loudly rather than skipping it.
package datatest
