package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/go-kratos/kratos/v2/log"

	"github.com/huabei/huabei/app/data"
)

// SignatureHeader carries t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>.
const SignatureHeader = "Huabei-Signature"

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
)

// deliverParallel is how many webhook deliveries are in flight at once.
const deliverParallel = 8

// Sign returns the Huabei-Signature value of body sent at t with secret.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook is a merchant's endpoint.
type Webhook struct {
	MerchantID string
	URL        string
	Secret     string
}

// Webhooks stores merchant endpoints and sends deliveries.
type Webhooks struct {
	d      *data.Data
	cfg    Config
	client *http.Client
	log    *log.Helper
	now    func() time.Time
}

// NewWebhooks returns the webhook sender. Outbound calls time out after
// cfg.WebhookTimeout, never follow redirects, and reach private or loopback addresses
// only when cfg.AllowPrivateTargets (checked on the dialled address, so a hostname that
// resolves to one is refused too).
func NewWebhooks(d *data.Data, cfg Config, logger log.Logger) *Webhooks {
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 10 * time.Second
	}
	dialer := &net.Dialer{Timeout: cfg.WebhookTimeout}
	if !cfg.AllowPrivateTargets {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !publicIP(ip) {
				return fmt.Errorf("webhook target %s is not a public address", host)
			}
			return nil
		}
	}
	tr := &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: cfg.WebhookTimeout,
		ResponseHeaderTimeout: cfg.WebhookTimeout, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: cfg.WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Webhooks{d: d, cfg: cfg, client: client, now: time.Now,
		log: log.NewHelper(log.With(logger, "module", "outbox/webhooks"))}
}

// publicIP reports whether ip is a routable public address.
func publicIP(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast())
}

// CheckURL validates a webhook URL: absolute http(s) with a host, and outside
// AllowPrivateTargets no literal private or loopback address or localhost. The error says
// what is wrong, for a 400 naming url.
func (w *Webhooks) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 2048 || u.User != nil {
		return errors.New("must be an absolute http or https URL without credentials, at most 2048 characters")
	}
	if w.cfg.AllowPrivateTargets {
		return nil
	}
	host := u.Hostname()
	if host == "localhost" || (net.ParseIP(host) != nil && !publicIP(net.ParseIP(host))) {
		return errors.New("private and loopback targets are not allowed in production")
	}
	return nil
}

func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + hex.EncodeToString(b), nil
}

// Put sets the merchant's endpoint. A new endpoint gets a secret (returned); changing
// the URL of an existing one keeps its secret (returned empty: it was shown once).
func (w *Webhooks) Put(ctx context.Context, merchantID, rawURL string) (Webhook, error) {
	if err := w.CheckURL(rawURL); err != nil {
		return Webhook{}, err
	}
	secret, err := newSecret()
	if err != nil {
		return Webhook{}, err
	}
	now := w.now().UnixMilli()
	out := Webhook{MerchantID: merchantID, URL: rawURL}
	err = w.d.InTx(ctx, func(ctx context.Context) error {
		db := w.d.DB(ctx)
		res, err := db.ExecContext(ctx, w.d.Dialect.InsertIgnore()+" merchant_webhook (merchant_id, url, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			merchantID, rawURL, secret, now, now)
		if err != nil {
			return fmt.Errorf("outbox: insert webhook: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out.Secret = secret
			return nil
		}
		_, err = db.ExecContext(ctx, "UPDATE merchant_webhook SET url = ?, updated_at = ? WHERE merchant_id = ?", rawURL, now, merchantID)
		if err != nil {
			return fmt.Errorf("outbox: update webhook: %w", err)
		}
		return nil
	})
	return out, err
}

// ErrNoWebhook is returned by Rotate for a merchant without an endpoint.
var ErrNoWebhook = errors.New("outbox: merchant has no webhook")

// Rotate replaces the merchant's secret and returns it (deliveries sign with the new one
// from now on).
func (w *Webhooks) Rotate(ctx context.Context, merchantID string) (Webhook, error) {
	secret, err := newSecret()
	if err != nil {
		return Webhook{}, err
	}
	res, err := w.d.SQL().ExecContext(ctx, "UPDATE merchant_webhook SET secret = ?, updated_at = ? WHERE merchant_id = ?", secret, w.now().UnixMilli(), merchantID)
	if err != nil {
		return Webhook{}, fmt.Errorf("outbox: rotate webhook: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Webhook{}, ErrNoWebhook
	}
	var u string
	if err := w.d.SQL().QueryRowContext(ctx, "SELECT url FROM merchant_webhook WHERE merchant_id = ?", merchantID).Scan(&u); err != nil {
		return Webhook{}, fmt.Errorf("outbox: read webhook: %w", err)
	}
	return Webhook{MerchantID: merchantID, URL: u, Secret: secret}, nil
}

// enqueue queues the delivery of event seq to its merchant's endpoint, when it has one
// (in the relay's transaction).
func (w *Webhooks) enqueue(ctx context.Context, seq int64, merchantID string, now int64) error {
	_, err := w.d.DB(ctx).ExecContext(ctx, w.d.Dialect.InsertIgnore()+
		" webhook_delivery (event_seq, merchant_id, status, attempts, first_attempt_at, next_attempt_at, delivered_at, last_error) "+
		"SELECT ?, merchant_id, ?, 0, 0, ?, 0, '' FROM merchant_webhook WHERE merchant_id = ?", seq, DeliveryPending, now, merchantID)
	if err != nil {
		return fmt.Errorf("outbox: queue delivery: %w", err)
	}
	return nil
}

type delivery struct {
	seq              int64
	merchantID       string
	attempts         int
	firstAttemptAt   int64
	event            Stored
	url, secret      string
	outcome, lastErr string
}

// DeliverDue sends the deliveries that are due and records each outcome; it returns how
// many it attempted.
func (w *Webhooks) DeliverDue(ctx context.Context) (int, error) {
	now := w.now()
	rows, err := w.d.SQL().QueryContext(ctx,
		"SELECT d.event_seq, d.merchant_id, d.attempts, d.first_attempt_at, e.type, e.data, e.created_at, h.url, h.secret "+
			"FROM webhook_delivery d JOIN outbox_event e ON e.seq = d.event_seq JOIN merchant_webhook h ON h.merchant_id = d.merchant_id "+
			"WHERE d.status = ? AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.event_seq LIMIT ?",
		DeliveryPending, now.UnixMilli(), 4*deliverParallel)
	if err != nil {
		return 0, fmt.Errorf("outbox: due deliveries: %w", err)
	}
	var list []*delivery
	for rows.Next() {
		d := &delivery{}
		var body string
		var created int64
		if err := rows.Scan(&d.seq, &d.merchantID, &d.attempts, &d.firstAttemptAt, &d.event.Type, &body, &created, &d.url, &d.secret); err != nil {
			rows.Close()
			return 0, fmt.Errorf("outbox: due deliveries: %w", err)
		}
		d.event.Seq, d.event.ID, d.event.Data = d.seq, IDOf(d.seq), json.RawMessage(body)
		d.event.CreatedAt = time.UnixMilli(created)
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("outbox: due deliveries: %w", err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, deliverParallel)
	for _, d := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func(d *delivery) {
			defer wg.Done()
			defer func() { <-sem }()
			d.lastErr = w.send(ctx, d)
		}(d)
	}
	wg.Wait()
	for _, d := range list {
		if ctx.Err() != nil {
			return len(list), nil // shutting down: unrecorded attempts are simply retried
		}
		if err := w.record(ctx, d, w.now()); err != nil {
			return len(list), err
		}
	}
	return len(list), nil
}

// send POSTs the event; "" means the endpoint answered 2xx.
func (w *Webhooks) send(ctx context.Context, d *delivery) string {
	body, err := json.Marshal(d.event)
	if err != nil {
		return err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "huabei-webhooks/1")
	req.Header.Set(SignatureHeader, Sign(d.secret, w.now(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return ""
}

// record stores a delivery's outcome: delivered, retried after the backoff, or dead once
// the retry window since the first attempt is over.
func (w *Webhooks) record(ctx context.Context, d *delivery, now time.Time) error {
	first := d.firstAttemptAt
	if first == 0 {
		first = now.UnixMilli()
	}
	attempts := d.attempts + 1
	status, next, delivered := DeliveryPending, int64(0), int64(0)
	switch {
	case d.lastErr == "":
		status, delivered = DeliveryDelivered, now.UnixMilli()
	case now.Sub(time.UnixMilli(first)) >= w.cfg.RetryWindow:
		status = DeliveryDead
	default:
		next = now.Add(Backoff(w.cfg.RetryBase, w.cfg.RetryMax, attempts)).UnixMilli()
	}
	msg := d.lastErr
	if len(msg) > 255 {
		msg = msg[:255]
	}
	_, err := w.d.SQL().ExecContext(ctx,
		"UPDATE webhook_delivery SET status = ?, attempts = ?, first_attempt_at = ?, next_attempt_at = ?, delivered_at = ?, last_error = ? WHERE event_seq = ? AND status = ?",
		status, attempts, first, next, delivered, msg, d.seq, DeliveryPending)
	if err != nil {
		return fmt.Errorf("outbox: record delivery: %w", err)
	}
	outcome := map[string]string{DeliveryDelivered: "delivered", DeliveryPending: "failed", DeliveryDead: "dead"}[status]
	webhookTotal.WithLabelValues(outcome).Inc()
	if status == DeliveryDead {
		w.log.WithContext(ctx).Warnw("msg", "webhook delivery dead-lettered", "event", d.event.ID, "merchant", d.merchantID, "attempts", attempts, "error", msg)
	}
	return nil
}

// Backoff is the delay after the attempts-th failure: base, 2·base, 4·base, ... capped.
func Backoff(base, max time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// DeliveryState is a delivery as stored (tests and operations).
type DeliveryState struct {
	EventID  string
	Status   string
	Attempts int
}

// Deliveries lists a merchant's deliveries in event order.
func (w *Webhooks) Deliveries(ctx context.Context, merchantID string) ([]DeliveryState, error) {
	rows, err := w.d.SQL().QueryContext(ctx, "SELECT event_seq, status, attempts FROM webhook_delivery WHERE merchant_id = ? ORDER BY event_seq", merchantID)
	if err != nil {
		return nil, fmt.Errorf("outbox: deliveries: %w", err)
	}
	defer rows.Close()
	var out []DeliveryState
	for rows.Next() {
		var s DeliveryState
		var seq int64
		if err := rows.Scan(&seq, &s.Status, &s.Attempts); err != nil {
			return nil, err
		}
		s.EventID = IDOf(seq)
		out = append(out, s)
	}
	return out, rows.Err()
}
