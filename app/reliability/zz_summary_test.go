package reliability

import "testing"

// TestReliabilitySummary runs last (file and declaration order) and logs the table the
// scenarios reported; TestMain also prints it and, in the full run, writes
// testdata/summary.txt.
func TestReliabilitySummary(t *testing.T) {
	summaryMu.Lock()
	rows := len(summaryRows)
	summaryMu.Unlock()
	if rows == 0 {
		t.Skip("no scenario ran")
	}
	t.Log("\n" + summaryTable())
	for _, r := range summaryRows {
		if r.Lost != 0 || r.Duplicated != 0 {
			t.Errorf("%s: %d lost, %d duplicated", r.Scenario, r.Lost, r.Duplicated)
		}
	}
}
