// Package scorecard owns the credit scorecard: the JSON model format (configs/scorecard.json),
// loading and validation, scoring a Record into a 350–950 score with reasons, and learning a
// scorecard from a labelled CSV (quantile binning, weight of evidence, information value,
// L2 logistic regression, points scaling) together with its evaluation (AUC, KS, Gini).
package scorecard
