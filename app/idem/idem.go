package idem

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	kerrors "github.com/go-kratos/kratos/v2/errors"
	"github.com/go-kratos/kratos/v2/transport"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/huabei/huabei/app/apierr"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/data"
)

// Header is the request header carrying the key (gRPC: metadata of the same name).
const Header = "Idempotency-Key"

var (
	// ErrKeyReused is returned when a key comes back with a different request body (422).
	ErrKeyReused = kerrors.New(422, "IDEMPOTENCY_KEY_REUSED", "this Idempotency-Key was used with a different request")
	// ErrInFlight is returned while the first request with the key is still running (409).
	ErrInFlight = kerrors.Conflict("IDEMPOTENCY_KEY_IN_FLIGHT", "a request with this Idempotency-Key is still being processed")
)

// inFlightTTL bounds how long a crashed request's marker blocks retries.
const inFlightTTL = 30 * time.Second

// Store keeps idempotency records.
type Store struct{ d *data.Data }

// NewStore returns a store on d.
func NewStore(d *data.Data) *Store { return &Store{d: d} }

// KeyFromContext returns the request's Idempotency-Key ("" when absent) or a 400 when it
// is malformed.
func KeyFromContext(ctx context.Context) (string, error) {
	tr, ok := transport.FromServerContext(ctx)
	if !ok {
		return "", nil
	}
	k := tr.RequestHeader().Get(Header)
	if len(k) > 128 {
		return "", apierr.Invalid(Header, "at most 128 characters")
	}
	for _, c := range k {
		if c < 0x21 || c > 0x7e {
			return "", apierr.Invalid(Header, "printable ASCII only")
		}
	}
	return k, nil
}

// Do runs fn once per (caller, operation, key). fn runs inside a transaction that also
// stores the response, so either both commit or neither does. Without a key fn still
// runs in a transaction. newResp returns an empty response message for replays.
func Do[T proto.Message](ctx context.Context, s *Store, operation string, req proto.Message, newResp func() T, fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	key, err := KeyFromContext(ctx)
	if err != nil {
		return zero, err
	}
	if key == "" {
		var out T
		err := s.d.InTx(ctx, func(ctx context.Context) error {
			var err error
			out, err = fn(ctx)
			return err
		})
		return out, err
	}
	scope := scopeOf(ctx, operation)
	hash, err := hashRequest(operation, req)
	if err != nil {
		return zero, err
	}
	if out, found, err := lookup(ctx, s, scope, key, hash, newResp); found || err != nil {
		return out, err
	}
	release, ok := s.d.Locks.Acquire(ctx, "idem:"+scope+":"+key, inFlightTTL)
	if !ok {
		return zero, ErrInFlight
	}
	defer release()
	// The first request may have committed between lookup and lock.
	if out, found, err := lookup(ctx, s, scope, key, hash, newResp); found || err != nil {
		return out, err
	}
	var out T
	err = s.d.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		if err != nil {
			return err
		}
		body, err := protojson.Marshal(out)
		if err != nil {
			return fmt.Errorf("idem: marshal response: %w", err)
		}
		_, err = s.d.DB(ctx).ExecContext(ctx,
			"INSERT INTO idempotency_key (scope, idem_key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)",
			scope, key, hash, string(body), time.Now().UnixMilli())
		return err
	})
	if err != nil && s.d.Dialect.IsDuplicate(err) {
		// Another replica won the race without our lock (Redis down): answer as a replay.
		if out, found, lerr := lookup(ctx, s, scope, key, hash, newResp); found || lerr != nil {
			return out, lerr
		}
	}
	return out, err
}

// lookup returns the stored response for (scope, key): found=false when there is none,
// ErrKeyReused when it was stored for another request.
func lookup[T proto.Message](ctx context.Context, s *Store, scope, key, hash string, newResp func() T) (T, bool, error) {
	var zero T
	var storedHash, body string
	err := s.d.SQL().QueryRowContext(ctx,
		"SELECT request_hash, response FROM idempotency_key WHERE scope = ? AND idem_key = ?", scope, key).Scan(&storedHash, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return zero, false, nil
	}
	if err != nil {
		return zero, false, fmt.Errorf("idem: lookup: %w", err)
	}
	if storedHash != hash {
		return zero, true, ErrKeyReused
	}
	out := newResp()
	if err := protojson.Unmarshal([]byte(body), out); err != nil {
		return zero, true, fmt.Errorf("idem: decode stored response: %w", err)
	}
	return out, true, nil
}

func scopeOf(ctx context.Context, operation string) string {
	sub := "anonymous"
	if p, ok := auth.FromContext(ctx); ok {
		sub = string(p.Role) + ":" + p.Subject
	}
	s := operation + "|" + sub
	if len(s) > 64 {
		h := sha256.Sum256([]byte(s))
		s = hex.EncodeToString(h[:])[:64]
	}
	return s
}

func hashRequest(operation string, req proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("idem: hash request: %w", err)
	}
	h := sha256.New()
	h.Write([]byte(operation))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}
