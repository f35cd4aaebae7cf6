package idem_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"

	v1 "github.com/huabei/huabei/app/api/v1"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/data"
	"github.com/huabei/huabei/app/data/datatest"
	"github.com/huabei/huabei/app/idem"
)

type header http.Header

func (h header) Get(k string) string      { return http.Header(h).Get(k) }
func (h header) Set(k, v string)          { http.Header(h).Set(k, v) }
func (h header) Add(k, v string)          { http.Header(h).Add(k, v) }
func (h header) Keys() []string           { return nil }
func (h header) Values(k string) []string { return http.Header(h).Values(k) }

type fakeTransport struct{ h header }

func (f fakeTransport) Kind() transport.Kind            { return transport.KindHTTP }
func (f fakeTransport) Endpoint() string                { return "" }
func (f fakeTransport) Operation() string               { return "/test/Op" }
func (f fakeTransport) RequestHeader() transport.Header { return f.h }
func (f fakeTransport) ReplyHeader() transport.Header   { return header{} }

func requestCtx(key, sub string) context.Context {
	h := header{}
	if key != "" {
		h.Set(idem.Header, key)
	}
	ctx := transport.NewServerContext(context.Background(), fakeTransport{h: h})
	return auth.WithPrincipal(ctx, auth.Principal{Subject: sub, Role: auth.RoleMerchant})
}

func TestDo(t *testing.T) {
	datatest.ForEachEngine(t, func(t *testing.T, d *data.Data) {
		s := idem.NewStore(d)
		ctx0 := context.Background()
		if _, err := d.SQL().ExecContext(ctx0, "CREATE TABLE t_effect (id VARCHAR(32) NOT NULL PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var calls atomic.Int32
		newResp := func() *v1.ClockReply { return new(v1.ClockReply) }
		run := func(ctx context.Context, now string, fn func(ctx context.Context) (*v1.ClockReply, error)) (*v1.ClockReply, error) {
			return idem.Do(ctx, s, "/test/Op", &v1.SetClockRequest{Now: now}, newResp, fn)
		}
		effect := func(id string) func(ctx context.Context) (*v1.ClockReply, error) {
			return func(ctx context.Context) (*v1.ClockReply, error) {
				calls.Add(1)
				if _, err := d.DB(ctx).ExecContext(ctx, "INSERT INTO t_effect (id) VALUES (?)", id); err != nil {
					return nil, err
				}
				return &v1.ClockReply{Now: id}, nil
			}
		}
		count := func() int {
			var n int
			_ = d.SQL().QueryRowContext(ctx0, "SELECT COUNT(*) FROM t_effect").Scan(&n)
			return n
		}

		// First call runs; the replay returns the stored response without running again.
		r1, err := run(requestCtx("k1", "m1"), "a", effect("e1"))
		if err != nil || r1.Now != "e1" {
			t.Fatalf("first = %v, %v", r1, err)
		}
		r2, err := run(requestCtx("k1", "m1"), "a", effect("e2"))
		if err != nil || r2.Now != "e1" || calls.Load() != 1 || count() != 1 {
			t.Fatalf("replay = %v, %v, calls %d, rows %d", r2, err, calls.Load(), count())
		}
		// Same key, different body: 422 and nothing changes.
		if _, err := run(requestCtx("k1", "m1"), "b", effect("e3")); !errors.Is(err, idem.ErrKeyReused) || kerrors.FromError(err).Code != 422 {
			t.Fatalf("reuse err = %v", err)
		}
		// The same key from another caller is another key.
		if r, err := run(requestCtx("k1", "m2"), "a", effect("e4")); err != nil || r.Now != "e4" {
			t.Fatalf("other caller = %v, %v", r, err)
		}
		// A failing request stores nothing and may be retried.
		boom := errors.New("boom")
		if _, err := run(requestCtx("k2", "m1"), "a", func(ctx context.Context) (*v1.ClockReply, error) {
			_, _ = effect("e5")(ctx)
			return nil, boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing = %v", err)
		}
		if r, err := run(requestCtx("k2", "m1"), "a", effect("e5")); err != nil || r.Now != "e5" {
			t.Fatalf("retry after failure = %v, %v", r, err)
		}
		// While the first request is in flight, a second with the same key gets 409.
		inside := make(chan struct{})
		release := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := run(requestCtx("k3", "m1"), "a", func(ctx context.Context) (*v1.ClockReply, error) {
				close(inside)
				<-release
				return effect("e6")(ctx)
			})
			done <- err
		}()
		<-inside
		if _, err := run(requestCtx("k3", "m1"), "a", effect("e7")); !errors.Is(err, idem.ErrInFlight) {
			t.Fatalf("in flight err = %v", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if r, err := run(requestCtx("k3", "m1"), "a", effect("e8")); err != nil || r.Now != "e6" {
			t.Fatalf("after in-flight = %v, %v", r, err)
		}
		// Malformed keys are a 400.
		if _, err := run(requestCtx("bad key", "m1"), "a", effect("e9")); kerrors.FromError(err).Code != 400 {
			t.Fatalf("bad key err = %v", err)
		}
		if count() != 4 {
			t.Fatalf("effects = %d, want 4 (e1 e4 e5 e6, nothing duplicated)", count())
		}
	})
}
