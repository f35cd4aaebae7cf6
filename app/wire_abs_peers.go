package app

// wireABSPeers connects the asset center to credit (funding source) and billing
// (collections hook) once those domains are wired.
func (a *App) wireABSPeers() {}
