package ids

import (
	"sync"
	"testing"
)

func TestUniqueAndOrdered(t *testing.T) {
	g := NewGenerator(7)
	seen := make(map[int64]bool)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prev := int64(0)
			for i := 0; i < 20000; i++ {
				id := g.Next()
				if id <= prev {
					t.Errorf("id went backwards: %d <= %d", id, prev)
				}
				prev = id
				mu.Lock()
				if seen[id] {
					t.Errorf("duplicate id %d", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	a, b := NewGenerator(1).Next(), NewGenerator(2).Next()
	if a == b {
		t.Fatal("two nodes produced the same id")
	}
}

func TestParse(t *testing.T) {
	for s, ok := range map[string]bool{"1": true, "0": false, "-1": false, "abc": false, "": false, "99999999999999999999": false} {
		if _, got := Parse(s); got != ok {
			t.Errorf("Parse(%q) ok = %v", s, got)
		}
	}
}
