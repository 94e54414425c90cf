package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Colours: Stolik's bar first, the baselines after it.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x6f, B: 0x5c, A: 0xff},
	color.RGBA{R: 0x8a, G: 0x8f, B: 0x98, A: 0xff},
	color.RGBA{R: 0xc2, G: 0x7c, B: 0x2c, A: 0xff},
	color.RGBA{R: 0x5a, G: 0x6f, B: 0xb0, A: 0xff},
	color.RGBA{R: 0xa8, G: 0x4a, B: 0x6b, A: 0xff},
}

// drawCharts draws a bar chart for each benchmark whose spec has one and
// whose figures were measured, into dir, and returns the file names.
func drawCharts(res *results, dir string) ([]string, error) {
	var names []string
	for _, b := range res.Benches {
		s, ok := specFor(b)
		if !ok || s.Chart == nil {
			continue
		}
		var bars []bar
		var values plotter.Values
		for _, br := range s.Chart.Bars {
			if v, ok := b.Metrics[br.Metric]; ok {
				bars = append(bars, br)
				values = append(values, v)
			}
		}
		if len(bars) == 0 {
			continue
		}
		name := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(b.Name, "/", "-"),
			"Benchmark")) + ".png"
		if err := drawBars(filepath.Join(dir, name), s.Chart, bars, values); err != nil {
			return nil, fmt.Errorf("%s: %w", b.Name, err)
		}
		names = append(names, name)
	}
	return names, nil
}

func drawBars(path string, c *chart, bars []bar, values plotter.Values) error {
	p := plot.New()
	p.Title.Text = c.Title
	p.Y.Label.Text = c.Unit
	if c.Lower {
		p.Y.Label.Text += " (lower is better)"
	}
	p.Y.Min = 0
	w := vg.Points(40)
	for i := range values {
		// One bar chart per value, offset, so each bar has its colour and
		// its label under it.
		one := make(plotter.Values, len(values))
		one[i] = values[i]
		bc, err := plotter.NewBarChart(one, w)
		if err != nil {
			return err
		}
		bc.Color = palette[i%len(palette)]
		bc.LineStyle.Width = 0
		p.Add(bc)
	}
	labels := make([]string, len(bars))
	for i, b := range bars {
		labels[i] = fmt.Sprintf("%s\n%s", b.Label, number(values[i]))
	}
	p.NominalX(labels...)
	p.Y.Max = slices.Max(values) * 1.15
	return p.Save(vg.Points(120*float64(len(bars))+160), 4*vg.Inch, path)
}
