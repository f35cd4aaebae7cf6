package app

// wireABSPeers connects the asset center to credit: applications and payment
// authorizations (FUNDING_EXHAUSTED) read the asset center's funding, cached ≤ 1 s.
// Billing's collections hook is connected in wireABSBilling once billing exposes it.
func (a *App) wireABSPeers() {
	if a.credit.Lines != nil {
		a.credit.SetFunding(a.abs.AssetCenter)
	}
}
