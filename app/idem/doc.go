// Package idem makes a money-moving request safe to retry (DESIGN §8): the
// Idempotency-Key, a hash of the request and the response are stored in the same
// transaction as the write they protect; a replay returns the stored response, the same
// key with another body is a 422, and a second request while the first is in flight is
// a 409.
package idem
