// Package clock is the one place the service reads the time. Production uses the real
// clock; dev and simulation modes may install a test clock that ops move forward through
// /v1/ops/clock, like Stripe's test clocks. Business dates are days in Asia/Shanghai.
package clock
