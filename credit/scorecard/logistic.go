package scorecard

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// logisticFit is an L2-regularised logistic regression of y (true = bad) on the columns of x.
type logisticFit struct {
	Intercept  float64
	Coef       []float64
	Iterations int
}

// fitLogistic runs Newton–Raphson (IRLS) on the penalised log-likelihood
// Σ log L − λ/2·‖β‖² (the intercept is not penalised). The problem is strictly concave for
// λ > 0, so Newton converges in a handful of steps; the Hessian is solved by Cholesky.
func fitLogistic(x [][]float64, y []bool, lambda float64) (*logisticFit, error) {
	n := len(y)
	if n == 0 {
		return nil, errors.New("logistic regression: no rows")
	}
	p := 1
	if n > 0 && len(x) > 0 {
		p += len(x[0])
	}
	beta := make([]float64, p)
	row := make([]float64, p)
	grad := mat.NewVecDense(p, nil)
	hess := mat.NewSymDense(p, nil)
	var chol mat.Cholesky
	step := mat.NewVecDense(p, nil)
	const maxIter = 100
	for iter := 1; iter <= maxIter; iter++ {
		g := make([]float64, p)
		h := make([]float64, p*p)
		for i := 0; i < n; i++ {
			row[0] = 1
			copy(row[1:], x[i])
			eta := 0.0
			for k := range row {
				eta += beta[k] * row[k]
			}
			mu := 1 / (1 + math.Exp(-eta))
			yi := 0.0
			if y[i] {
				yi = 1
			}
			w := math.Max(mu*(1-mu), 1e-12)
			for a := 0; a < p; a++ {
				g[a] += (mu - yi) * row[a]
				wa := w * row[a]
				for b := a; b < p; b++ {
					h[a*p+b] += wa * row[b]
				}
			}
		}
		for a := 0; a < p; a++ {
			if a > 0 {
				g[a] += lambda * beta[a]
				h[a*p+a] += lambda
			}
			grad.SetVec(a, g[a])
			for b := a; b < p; b++ {
				hess.SetSym(a, b, h[a*p+b])
			}
		}
		if ok := chol.Factorize(hess); !ok {
			return nil, fmt.Errorf("logistic regression: Hessian not positive definite at iteration %d (perfectly collinear features?)", iter)
		}
		if err := chol.SolveVecTo(step, grad); err != nil {
			return nil, fmt.Errorf("logistic regression: %w", err)
		}
		maxStep := 0.0
		for a := 0; a < p; a++ {
			beta[a] -= step.AtVec(a)
			maxStep = math.Max(maxStep, math.Abs(step.AtVec(a)))
		}
		if maxStep < 1e-9 {
			return &logisticFit{Intercept: beta[0], Coef: beta[1:], Iterations: iter}, nil
		}
		for _, b := range beta {
			if !finite(b) {
				return nil, errors.New("logistic regression diverged")
			}
		}
	}
	return nil, fmt.Errorf("logistic regression: no convergence in %d iterations", maxIter)
}
