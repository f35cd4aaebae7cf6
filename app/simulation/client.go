package simulation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/huabei/huabei/app/auth"
)

// APIError is a non-2xx answer of the server ({code, reason, message}).
type APIError struct {
	Status  int
	Reason  string
	Message string
	Path    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %d %s: %s", e.Path, e.Status, e.Reason, e.Message)
}

// NoRoute reports whether the server has no such route (the endpoint has not landed).
func NoRoute(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound && (ae.Message == "no such route" || ae.Reason == "JOB_NOT_FOUND")
}

// Reason returns the API error reason ("" for other errors).
func Reason(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return ""
}

// Client talks to the Huabei HTTP API with dev tokens minted from the shared secret.
type Client struct {
	base     string
	secret   string
	hc       *http.Client
	tokens   sync.Map // role+"|"+sub → mintedToken
	requests atomic.Int64
	retries  atomic.Int64
}

// NewClient returns a client for base (e.g. http://127.0.0.1:8000) signing tokens with secret.
func NewClient(base, secret string) *Client {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	return &Client{base: strings.TrimRight(base, "/"), secret: secret, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// Requests is the number of HTTP requests sent so far.
func (c *Client) Requests() int64 { return c.requests.Load() }

// mintedToken is a cached token and when it was minted.
type mintedToken struct {
	tok string
	at  time.Time
}

// tokenTTL stays under the server's auth.max_token_ttl (24h by default); a cached token
// is replaced once half of it has passed, so a long simulation never sends an expired one.
const tokenTTL = 23 * time.Hour

func (c *Client) token(role auth.Role, sub string) (string, error) {
	k := string(role) + "|" + sub
	if v, ok := c.tokens.Load(k); ok && time.Since(v.(mintedToken).at) < tokenTTL/2 {
		return v.(mintedToken).tok, nil
	}
	now := time.Now()
	tok, err := auth.Mint(c.secret, sub, role, tokenTTL, now)
	if err != nil {
		return "", err
	}
	c.tokens.Store(k, mintedToken{tok: tok, at: now})
	return tok, nil
}

// Do sends one request as (role, sub) and decodes a 2xx JSON answer into out (may be
// nil). Transport errors and 5xx answers are retried a few times (every money-moving
// request of the simulator is idempotent: merchant order ids and Idempotency-Keys).
func (c *Client) Do(ctx context.Context, method, path string, role auth.Role, sub string, body any, idemKey string, out any) error {
	tok, err := c.token(role, sub)
	if err != nil {
		return err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	var last error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 200 * time.Millisecond):
			}
		}
		var rd io.Reader
		if payload != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if idemKey != "" {
			req.Header.Set("Idempotency-Key", idemKey)
		}
		c.requests.Add(1)
		resp, err := c.hc.Do(req)
		if err != nil {
			last = err
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			if out != nil && len(raw) > 0 {
				if err := json.Unmarshal(raw, out); err != nil {
					return fmt.Errorf("%s %s: decode: %w", method, path, err)
				}
			}
			return nil
		}
		ae := &APIError{Status: resp.StatusCode, Path: method + " " + routeOf(path)}
		var eb struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		}
		if json.Unmarshal(raw, &eb) == nil {
			ae.Reason, ae.Message = eb.Reason, eb.Message
		}
		last = ae
		// 5xx and "request in flight" conflicts are worth another try.
		if resp.StatusCode >= 500 || (resp.StatusCode == http.StatusConflict && ae.Reason == "IDEMPOTENCY_KEY_IN_FLIGHT") || resp.StatusCode == http.StatusTooManyRequests {
			continue
		}
		return ae
	}
	return last
}

// routeOf masks ids out of a path for error grouping (/v1/payments/123/capture →
// /v1/payments/{id}/capture).
func routeOf(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if i >= 3 && s != "" && (strings.ContainsAny(s, "0123456789") || strings.HasPrefix(s, "s")) && !isWord(s) {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

func isWord(s string) bool {
	switch s {
	case "capture", "cancel", "refunds", "account", "statements", "repayments", "autopay", "transfer", "buybacks",
		"revolving-purchases", "reports", "runs", "adjustments", "freeze", "unfreeze", "installment-plans", "installment-quotes", "strata":
		return true
	}
	return false
}

func q(s string) string { return url.PathEscape(s) }
