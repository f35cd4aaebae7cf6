// Package ids makes the 64-bit identifiers every table uses as its key: time-ordered
// (millisecond timestamp first, so inserts append to the index), unique across up to
// 1024 server nodes, generated in process with no database round trip.
package ids
