package clock

import (
	"errors"
	"sync"
	"time"
	_ "time/tzdata" // business dates must work on machines without zoneinfo
)

// Location is the time zone of business dates.
var Location = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now.
func (Real) Now() time.Time { return time.Now() }

// Test is a settable clock. Until Set is called it follows the wall clock; once set it
// advances with real elapsed time from the set instant, so timestamps stay ordered.
type Test struct {
	mu     sync.RWMutex
	offset time.Duration
}

// Now returns the wall clock shifted by the offset set last.
func (t *Test) Now() time.Time {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return time.Now().Add(t.offset)
}

// Set moves the clock to now. Ids stay unique because they come from the wall clock,
// not from this one.
func (t *Test) Set(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.offset = time.Until(now)
}

// Date is a business date: a calendar day in Asia/Shanghai, held as midnight UTC of that
// day so it compares and subtracts cleanly.
type Date struct{ t time.Time }

// DateOf returns the business date of an instant.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Location).Date()
	return NewDate(y, m, d)
}

// Today returns the business date of c.Now().
func Today(c Clock) Date { return DateOf(c.Now()) }

// NewDate builds a date; out-of-range days normalise like time.Date.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, errors.New("date must be YYYY-MM-DD")
	}
	return Date{t}, nil
}

// String formats YYYY-MM-DD.
func (d Date) String() string { return d.t.Format("2006-01-02") }

// IsZero reports whether d is the zero date.
func (d Date) IsZero() bool { return d.t.IsZero() }

// AddDays returns d shifted by n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// AddMonths returns d shifted by n months (day clamped is NOT done; use FirstOfMonth).
func (d Date) AddMonths(n int) Date { return Date{d.t.AddDate(0, n, 0)} }

// DaysSince returns d − o in whole days.
func (d Date) DaysSince(o Date) int { return int(d.t.Sub(o.t).Hours() / 24) }

// Before, After and Equal compare dates.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }
func (d Date) After(o Date) bool  { return d.t.After(o.t) }
func (d Date) Equal(o Date) bool  { return d.t.Equal(o.t) }

// Year, Month and Day return the calendar fields.
func (d Date) Year() int         { return d.t.Year() }
func (d Date) Month() time.Month { return d.t.Month() }
func (d Date) Day() int          { return d.t.Day() }

// FirstOfMonth returns the first day of d's month.
func (d Date) FirstOfMonth() Date { return NewDate(d.Year(), d.Month(), 1) }

// Start returns the instant the business day begins (00:00 Asia/Shanghai).
func (d Date) Start() time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, Location)
}

// Period formats the statement period YYYY-MM.
func (d Date) Period() string { return d.t.Format("2006-01") }

// Int returns yyyymmdd, handy as a compact sortable key in tables.
func (d Date) Int() int { return d.Year()*10000 + int(d.Month())*100 + d.Day() }

// FromInt reverses Int.
func FromInt(n int) Date { return NewDate(n/10000, time.Month(n/100%100), n%100) }
