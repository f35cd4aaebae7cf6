// Package ops serves the operations endpoints that belong to no single domain: the test
// clock (dev and simulation modes only; production refuses it).
package ops
