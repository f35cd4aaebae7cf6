// Package field parses and checks the scalar fields of API requests (amounts, ids, dates,
// enums) and turns every problem into a 400 that names the field, so services never
// hand unchecked input to biz.
package field
