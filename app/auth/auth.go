package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-kratos/kratos/v2/middleware"
	"github.com/go-kratos/kratos/v2/transport"
	"github.com/golang-jwt/jwt/v5"

	"github.com/huabei/huabei/app/apierr"
)

// Role is what a token lets its holder do.
type Role string

// The four roles of API.md.
const (
	RoleShopper  Role = "shopper"
	RoleMerchant Role = "merchant"
	RoleTreasury Role = "treasury"
	RoleOps      Role = "ops"
)

// AllRoles lists every role.
var AllRoles = []Role{RoleShopper, RoleMerchant, RoleTreasury, RoleOps}

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool {
	for _, x := range AllRoles {
		if r == x {
			return true
		}
	}
	return false
}

// Principal is the authenticated caller.
type Principal struct {
	Subject string
	Role    Role
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p (used by the middleware and by tests).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller; ok is false for unauthenticated contexts.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Claims are the JWT claims the service issues and accepts.
type Claims struct {
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// MaxTokenBytes bounds a bearer token (both transports): a larger one is refused before
// any decoding, so a caller cannot make every request parse kilobytes of claims.
const MaxTokenBytes = 8 << 10

// DefaultMaxTokenTTL is auth.max_token_ttl's default.
const DefaultMaxTokenTTL = 24 * time.Hour

// clockSkew is how far the issuer's clock may be ahead of ours (iat) or behind (exp).
const clockSkew = 60 * time.Second

// Verifier checks bearer tokens: HS256 with Secret; exp required and at most MaxTTL
// ahead; iat, when present, not in the future; exp, iat and nbf numbers (not strings);
// iss and aud checked when Issuer / Audience are set.
type Verifier struct {
	Secret   string
	MaxTTL   time.Duration // 0: DefaultMaxTokenTTL
	Issuer   string
	Audience string
}

// Mint signs a token for sub/role valid for ttl with the verifier's secret, issuer and
// audience, refusing a ttl its own Verify would refuse.
func (v Verifier) Mint(sub string, role Role, ttl time.Duration, now time.Time) (string, error) {
	if ttl <= 0 || ttl > v.maxTTL() {
		return "", fmt.Errorf("auth: token lifetime %s must be above 0 and at most %s (auth.max_token_ttl)", ttl, v.maxTTL())
	}
	c := Claims{Role: string(role), RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, Issuer: v.Issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if v.Audience != "" {
		c.Audience = jwt.ClaimStrings{v.Audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(v.Secret))
}

func (v Verifier) maxTTL() time.Duration {
	if v.MaxTTL <= 0 {
		return DefaultMaxTokenTTL
	}
	return v.MaxTTL
}

// Mint signs a token for sub/role valid for ttl (no issuer or audience). The lifetime is
// not checked here so tests can make tokens a server must refuse; Verifier.Mint checks it.
func Mint(secret, sub string, role Role, ttl time.Duration, now time.Time) (string, error) {
	c := Claims{Role: string(role), RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
}

// Verify checks a token with the default limits and no issuer or audience.
func Verify(secret, token string) (Principal, error) {
	return Verifier{Secret: secret}.Verify(token)
}

// Verify checks a token's size, signature (HS256 only: "none" and other algorithms are
// refused), claim types, expiry and lifetime, issue time, issuer, audience, subject and
// role. Every failure is the same 401: the caller learns nothing about which check failed.
func (v Verifier) Verify(token string) (Principal, error) {
	if len(token) > MaxTokenBytes || !numericTimeClaims(token) {
		return Principal{}, apierr.ErrUnauthenticated
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(clockSkew)}
	if v.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.Issuer))
	}
	if v.Audience != "" {
		opts = append(opts, jwt.WithAudience(v.Audience))
	}
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return []byte(v.Secret), nil }, opts...)
	if err != nil || c.ExpiresAt == nil {
		return Principal{}, apierr.ErrUnauthenticated
	}
	// A token living longer than max_token_ttl is refused however it was signed: a leaked
	// long-lived token must not outlast the policy.
	if time.Until(c.ExpiresAt.Time) > v.maxTTL()+clockSkew {
		return Principal{}, apierr.ErrUnauthenticated
	}
	role := Role(c.Role)
	if c.Subject == "" || len(c.Subject) > 64 || !role.Valid() {
		return Principal{}, apierr.ErrUnauthenticated
	}
	return Principal{Subject: c.Subject, Role: role}, nil
}

// numericTimeClaims reports whether exp, iat and nbf, where present, are JSON numbers
// (the JWT library would also accept numeric strings such as "1700000000") and sub and
// role, where present, are strings.
func numericTimeClaims(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return false
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return false
	}
	for _, name := range []string{"exp", "iat", "nbf"} {
		raw, ok := claims[name]
		if !ok {
			continue
		}
		var n json.Number
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var x any
		if d.Decode(&x) != nil {
			return false
		}
		if n, ok = x.(json.Number); !ok {
			return false
		}
		if _, err := n.Float64(); err != nil {
			return false
		}
	}
	for _, name := range []string{"sub", "role", "iss"} {
		if raw, ok := claims[name]; ok {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return false
			}
		}
	}
	return true
}

// Policy maps operations (gRPC full method names, which HTTP routes reuse) to the roles
// allowed to call them. An operation missing from the table is public only if it was
// registered with Public; anything else unknown is refused.
type Policy struct {
	mu     sync.RWMutex
	roles  map[string][]Role
	public map[string]bool
}

// NewPolicy returns an empty policy.
func NewPolicy() *Policy {
	return &Policy{roles: map[string][]Role{}, public: map[string]bool{}}
}

// Allow records the roles that may call operation.
func (p *Policy) Allow(operation string, roles ...Role) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roles[operation] = append([]Role(nil), roles...)
}

// Public marks operation as callable without a token.
func (p *Policy) Public(operation string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.public[operation] = true
}

// Roles returns the roles allowed for operation (for tests and the access matrix).
func (p *Policy) Roles(operation string) ([]Role, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	r, ok := p.roles[operation]
	return r, ok
}

// Operations lists every operation with roles.
func (p *Policy) Operations() map[string][]Role {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make(map[string][]Role, len(p.roles))
	for k, v := range p.roles {
		out[k] = v
	}
	return out
}

// Middleware authenticates the bearer token and checks the operation's roles.
func (p *Policy) Middleware(v Verifier) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return func(ctx context.Context, req any) (any, error) {
			tr, ok := transport.FromServerContext(ctx)
			if !ok {
				return nil, apierr.ErrUnauthenticated
			}
			op := tr.Operation()
			p.mu.RLock()
			public := p.public[op]
			roles, known := p.roles[op]
			p.mu.RUnlock()
			if public {
				return next(ctx, req)
			}
			h := tr.RequestHeader().Get("Authorization")
			tok, found := strings.CutPrefix(h, "Bearer ")
			if !found || tok == "" {
				return nil, apierr.ErrUnauthenticated
			}
			pr, err := v.Verify(strings.TrimSpace(tok))
			if err != nil {
				return nil, err
			}
			if !known || !hasRole(roles, pr.Role) {
				return nil, apierr.ErrForbidden
			}
			// A shopper acts only on their own user id, whatever else is wrong with the
			// request: ownership is decided before validation.
			if u, ok := req.(interface{ GetUserId() string }); ok && pr.Role == RoleShopper && u.GetUserId() != "" && u.GetUserId() != pr.Subject {
				return nil, apierr.ErrForbidden
			}
			return next(WithPrincipal(ctx, pr), req)
		}
	}
}

func hasRole(roles []Role, r Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// CheckUser allows ops, treasury and the shopper whose id is userID; a shopper acting on
// another user's id gets 403. Merchants never act on user resources.
func CheckUser(ctx context.Context, userID string) error {
	p, ok := FromContext(ctx)
	if !ok {
		return apierr.ErrUnauthenticated
	}
	switch p.Role {
	case RoleOps, RoleTreasury:
		return nil
	case RoleShopper:
		if p.Subject == userID {
			return nil
		}
	}
	return apierr.ErrForbidden
}

// CheckMerchant allows ops and the merchant whose id is merchantID.
func CheckMerchant(ctx context.Context, merchantID string) error {
	p, ok := FromContext(ctx)
	if !ok {
		return apierr.ErrUnauthenticated
	}
	if p.Role == RoleOps || (p.Role == RoleMerchant && p.Subject == merchantID) {
		return nil
	}
	return apierr.ErrForbidden
}

// Actor returns "role:sub" for audit trails, or "system" outside a request.
func Actor(ctx context.Context) string {
	if p, ok := FromContext(ctx); ok {
		return string(p.Role) + ":" + p.Subject
	}
	return "system"
}
