package auth

import (
	"context"
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

// Mint signs a token for sub/role valid for ttl.
func Mint(secret, sub string, role Role, ttl time.Duration, now time.Time) (string, error) {
	c := Claims{Role: string(role), RegisteredClaims: jwt.RegisteredClaims{
		Subject: sub, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
}

// Verify checks a token's signature (HS256 only: "none" and other algorithms are
// refused), expiry, subject and role.
func Verify(secret, token string) (Principal, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return Principal{}, apierr.ErrUnauthenticated
	}
	role := Role(c.Role)
	if c.Subject == "" || len(c.Subject) > 64 || !role.Valid() {
		return Principal{}, apierr.ErrUnauthenticated
	}
	return Principal{Subject: c.Subject, Role: role}, nil
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
func (p *Policy) Middleware(secret string) middleware.Middleware {
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
			pr, err := Verify(secret, strings.TrimSpace(tok))
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
