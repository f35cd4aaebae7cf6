// Package abs is the asset center: it selects eligible loans into pools, analyses them,
// sells them to a securitization vehicle (true sale), reports funding, services the sold
// assets (collections, remittance, revolving purchases, buybacks) and writes servicer
// reports. See biz, data, service and api/v1.
package abs
