// Package installment owns the arithmetic of installments (分期): flat-fee schedules with
// Alipay's documented rounding, equal-payment amortization (等额本息), the disclosed APR and
// effective annual rate of a schedule (IRR of the shopper's cash flows, never the flat-rate
// shortcut), re-spreading a plan after a refund, and the US Regulation Z Appendix J
// actuarial APR for arbitrary dated cash flows. It is a leaf package: no database, no clock.
package installment
