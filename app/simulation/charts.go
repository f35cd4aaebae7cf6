package simulation

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

var bucketColors = map[string]color.Color{
	"current": color.RGBA{R: 46, G: 139, B: 87, A: 255},
	"M1":      color.RGBA{R: 240, G: 200, B: 40, A: 255},
	"M2":      color.RGBA{R: 245, G: 140, B: 30, A: 255},
	"M3":      color.RGBA{R: 220, G: 60, B: 40, A: 255},
	"M3+":     color.RGBA{R: 120, G: 20, B: 30, A: 255},
}

var seriesColors = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 255, G: 127, B: 14, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255},
}

func num(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// WriteCharts writes delinquency.png, pool_factor.png and funding.png into dir.
func (r *Report) WriteCharts(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	labels := make([]string, len(r.Monthly))
	for i, m := range r.Monthly {
		labels[i] = m.Period
	}

	// 1. Delinquent balances by month: stacked bars per bucket (current excluded so the
	// delinquent tail is visible), plus the delinquent share of outstanding as a label.
	{
		p := plot.New()
		p.Title.Text = "Delinquent principal by bucket, end of month (current not shown)"
		p.Y.Label.Text = "yuan"
		p.NominalX(labels...)
		w := vg.Points(28)
		var below *plotter.BarChart
		top := 0.0
		for _, m := range r.Monthly {
			t := 0.0
			for _, row := range m.Buckets {
				if row.Bucket != "current" {
					t += num(row.Balance)
				}
			}
			top = max(top, t)
		}
		p.Y.Min, p.Y.Max = 0, math.Max(1, top*1.15)
		for _, b := range bucketNames[1:] {
			vals := make(plotter.Values, len(r.Monthly))
			for i, m := range r.Monthly {
				for _, row := range m.Buckets {
					if row.Bucket == b {
						vals[i] = num(row.Balance)
					}
				}
			}
			bc, err := plotter.NewBarChart(vals, w)
			if err != nil {
				return nil, err
			}
			bc.Color = bucketColors[b]
			bc.LineStyle.Width = 0
			if below != nil {
				bc.StackOn(below)
			}
			below = bc
			p.Add(bc)
			p.Legend.Add(b, bc)
		}
		p.Legend.Top = true
		p.Legend.Left = true
		f := filepath.Join(dir, "delinquency.png")
		if err := p.Save(8*vg.Inch, 4.5*vg.Inch, f); err != nil {
			return nil, err
		}
		files = append(files, f)
	}

	// 2. Pool factor by month for each pool.
	{
		p := plot.New()
		p.Title.Text = "Pool factor by month"
		p.Y.Label.Text = "pool factor"
		p.Y.Min, p.Y.Max = 0, 1.05
		p.NominalX(labels...)
		p.Add(plotter.NewGrid())
		for pi, pool := range r.Pools {
			var pts plotter.XYs
			for i, m := range r.Monthly {
				if f, ok := m.PoolFactors[pool.Name]; ok && f != "" {
					pts = append(pts, plotter.XY{X: float64(i), Y: num(f)})
				}
			}
			if len(pts) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			c := seriesColors[pi%len(seriesColors)]
			l.Color, s.Color = c, c
			l.Width = vg.Points(2)
			p.Add(l, s)
			p.Legend.Add(pool.Name, l, s)
		}
		if len(r.Pools) == 0 {
			p.Title.Text = "Pool factor by month (no pools sold)"
		}
		p.Legend.Top = false
		p.Legend.Left = true
		f := filepath.Join(dir, "pool_factor.png")
		if err := p.Save(8*vg.Inch, 4.5*vg.Inch, f); err != nil {
			return nil, err
		}
		files = append(files, f)
	}

	// 3. Outstanding principal vs funding available (million yuan).
	{
		p := plot.New()
		p.Title.Text = "Outstanding principal vs funding available"
		p.Y.Label.Text = "million yuan"
		p.NominalX(labels...)
		p.Add(plotter.NewGrid())
		series := []struct {
			name string
			get  func(MonthRow) string
		}{
			{"outstanding principal (portfolio)", func(m MonthRow) string { return m.Outstanding }},
			{"lender-owned principal", func(m MonthRow) string { return m.LenderOutstanding }},
			{"funding available", func(m MonthRow) string { return m.FundingAvailable }},
		}
		top := 0.0
		for _, m := range r.Monthly {
			for _, sr := range series {
				top = max(top, num(sr.get(m))/1e6)
			}
		}
		p.Y.Min, p.Y.Max = 0, math.Max(0.01, top*1.3) // headroom for the legend
		for si, sr := range series {
			var pts plotter.XYs
			for i, m := range r.Monthly {
				if v := sr.get(m); v != "" {
					pts = append(pts, plotter.XY{X: float64(i), Y: num(v) / 1e6})
				}
			}
			if len(pts) == 0 {
				continue
			}
			l, s, err := plotter.NewLinePoints(pts)
			if err != nil {
				return nil, err
			}
			c := seriesColors[si%len(seriesColors)]
			l.Color, s.Color = c, c
			l.Width = vg.Points(2)
			p.Add(l, s)
			p.Legend.Add(sr.name, l, s)
		}
		p.Legend.Top = true
		p.Legend.Left = true
		f := filepath.Join(dir, "funding.png")
		if err := p.Save(8*vg.Inch, 4.5*vg.Inch, f); err != nil {
			return nil, fmt.Errorf("funding chart: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}
