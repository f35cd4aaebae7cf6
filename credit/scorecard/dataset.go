package scorecard

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Dataset is a labelled table read from CSV, stored by column for binning.
type Dataset struct {
	Columns []Column // every column except the target, in file order
	Bad     []bool   // per row: the target equals the bad value
}

// Column is one feature column; Values[i] is row i's raw value ("" = missing).
type Column struct {
	Name   string
	Values []string
}

// Rows is the number of data rows.
func (d *Dataset) Rows() int { return len(d.Bad) }

// Bads is the number of bad rows.
func (d *Dataset) Bads() int {
	n := 0
	for _, b := range d.Bad {
		if b {
			n++
		}
	}
	return n
}

// Record returns row i as a Record keyed by column name.
func (d *Dataset) Record(i int) Record {
	r := make(Record, len(d.Columns))
	for _, c := range d.Columns {
		r[c.Name] = c.Values[i]
	}
	return r
}

// ReadDatasetFile reads a CSV file; see ReadDataset.
func ReadDatasetFile(path, target, badValue string) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := ReadDataset(f, target, badValue)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// ReadDataset reads a CSV with a header row. A row is bad when its target column equals
// badValue (both trimmed); any other non-empty target is good. An empty target is an error:
// an unlabelled row silently counted as good would bias every WOE.
func ReadDataset(r io.Reader, target, badValue string) (*Dataset, error) {
	if target == "" {
		return nil, errors.New("no target column given")
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	targetIdx := -1
	seen := make(map[string]bool, len(header))
	d := &Dataset{}
	colIdx := make([]int, 0, len(header))
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			return nil, fmt.Errorf("header column %d is empty", i+1)
		}
		if seen[h] {
			return nil, fmt.Errorf("header column %q appears twice", h)
		}
		seen[h] = true
		if h == target {
			targetIdx = i
			continue
		}
		d.Columns = append(d.Columns, Column{Name: h})
		colIdx = append(colIdx, i)
	}
	if targetIdx < 0 {
		return nil, fmt.Errorf("target column %q not in header", target)
	}
	badValue = strings.TrimSpace(badValue)
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		t := strings.TrimSpace(rec[targetIdx])
		if t == "" {
			return nil, fmt.Errorf("line %d: empty target %q", line, target)
		}
		d.Bad = append(d.Bad, t == badValue)
		for j, i := range colIdx {
			d.Columns[j].Values = append(d.Columns[j].Values, strings.TrimSpace(rec[i]))
		}
	}
	if d.Rows() == 0 {
		return nil, errors.New("no data rows")
	}
	return d, nil
}
