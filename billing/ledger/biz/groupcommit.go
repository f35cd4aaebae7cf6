package biz

import (
	"context"
	"sync"
	"time"
)

// Posts made outside any transaction are committed in groups: concurrent callers queue
// their entries, and one goroutine writes a whole group in one transaction (one multi-row
// insert per table, one additive upsert over the group's balance rows, one commit). On a
// busy server this turns 5 round trips and a log flush per entry into 5 per group. Posts
// inside a caller's transaction never wait for a group: they are written in place.
//
// A group that cannot be written as a whole (an idempotency id seen before or twice in
// the group, a database error) writes nothing; every caller in it then posts its entry
// alone, in its own goroutine and context, and gets exactly the result a lone Post gives.
const (
	// groupMaxEntries and groupMaxPostings bound one group (the postings bound keeps the
	// statement under SQLite's limit of bound variables).
	groupMaxEntries  = 128
	groupMaxPostings = 1024
	// groupMaxInflight groups may be in the database at once, so one group's commit
	// overlaps the next group's statements.
	groupMaxInflight = 2
	// groupTimeout bounds a group's transaction; callers wait for their group.
	groupTimeout = 30 * time.Second
)

type groupPost struct {
	rec  NewEntry
	done chan struct{}
	// alone is set when the group failed: the caller posts by itself.
	alone bool
}

type groupCommitter struct {
	mu       sync.Mutex
	queue    []*groupPost
	inflight int
}

// postGrouped queues rec and returns once its group committed (true) or failed (false:
// post alone).
func (l *Ledger) postGrouped(rec NewEntry) bool {
	p := &groupPost{rec: rec, done: make(chan struct{})}
	g := &l.group
	g.mu.Lock()
	g.queue = append(g.queue, p)
	var batch []*groupPost
	if g.inflight < groupMaxInflight {
		g.inflight++
		batch = g.take()
	}
	g.mu.Unlock()
	if batch != nil {
		l.flushGroup(batch)
	}
	<-p.done
	return !p.alone
}

// take removes the next group from the queue; g.mu is held.
func (g *groupCommitter) take() []*groupPost {
	n, postings := 0, 0
	for n < len(g.queue) && n < groupMaxEntries {
		k := len(g.queue[n].rec.Entry.Postings)
		if n > 0 && postings+k > groupMaxPostings {
			break
		}
		postings += k
		n++
	}
	batch := append([]*groupPost(nil), g.queue[:n]...)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	return batch
}

// flushGroup writes batch, releases its callers, and hands the next queued group to a new
// goroutine so no caller keeps serving others after its own entry is done.
func (l *Ledger) flushGroup(batch []*groupPost) {
	recs := make([]NewEntry, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	var written bool
	err := l.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		written, err = l.repo.AppendGroup(ctx, recs)
		return err
	})
	cancel()
	if err != nil {
		l.log.Warnw("msg", "ledger group commit failed; posting its entries one by one", "entries", len(batch), "error", err)
	}
	for _, p := range batch {
		p.alone = err != nil || !written
		close(p.done)
	}
	g := &l.group
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.inflight--
		g.mu.Unlock()
		return
	}
	next := g.take()
	g.mu.Unlock()
	go l.flushGroup(next)
}
