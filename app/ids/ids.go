package ids

import (
	"hash/fnv"
	"os"
	"strconv"
	"sync"
	"time"
)

// Layout: 41 bits of milliseconds since epoch, 10 bits of node, 12 bits of sequence.
const (
	nodeBits = 10
	seqBits  = 12
	maxNode  = 1<<nodeBits - 1
	maxSeq   = 1<<seqBits - 1
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// Generator hands out unique, increasing ids for one node.
type Generator struct {
	mu   sync.Mutex
	node int64
	last int64
	seq  int64
}

// NewGenerator returns a generator for node (0..1023; larger values are folded in).
func NewGenerator(node int64) *Generator {
	return &Generator{node: node & maxNode}
}

// NodeFromString derives a node number from HUABEI_NODE_ID: a number is used as is, any
// other text is hashed, an empty one is hashed from host name and process id.
func NodeFromString(s string) int64 {
	if s == "" {
		h, _ := os.Hostname()
		s = h + "/" + strconv.Itoa(os.Getpid())
	} else if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n & maxNode
	}
	f := fnv.New32a()
	_, _ = f.Write([]byte(s))
	return int64(f.Sum32()) & maxNode
}

// Next returns a new id. It never goes backwards even if the wall clock does.
func (g *Generator) Next() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now().UnixMilli() - epoch
	if now < g.last {
		now = g.last
	}
	if now == g.last {
		g.seq++
		if g.seq > maxSeq {
			now++
			g.seq = 0
		}
	} else {
		g.seq = 0
	}
	g.last = now
	return now<<(nodeBits+seqBits) | g.node<<seqBits | g.seq
}

var std = NewGenerator(NodeFromString(os.Getenv("HUABEI_NODE_ID")))

// SetNode replaces the process-wide generator's node number (called once at start-up).
func SetNode(node int64) { std = NewGenerator(node) }

// New returns a new id from the process-wide generator.
func New() int64 { return std.Next() }

// String formats an id for the API.
func String(id int64) string { return strconv.FormatInt(id, 10) }

// Parse reads an id from the API; ok is false for anything but a positive decimal int64.
func Parse(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n, true
}
