package conf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-kratos/kratos/v2/config"
	"github.com/go-kratos/kratos/v2/config/file"

	"github.com/huabei/huabei/configs"
)

// DefaultJWTSecret is the development secret; production mode refuses it.
const DefaultJWTSecret = "dev-secret-change-me"

// Modes of operation.
const (
	ModeDev        = "dev"
	ModeSimulation = "simulation"
	ModeProduction = "production"
)

// Server is the server section.
type Server struct {
	Mode           string   `json:"mode"`
	HTTPAddr       string   `json:"http_addr"`
	GRPCAddr       string   `json:"grpc_addr"`
	RequestTimeout Duration `json:"request_timeout"`
	MaxBodyBytes   int64    `json:"max_body_bytes"`
	JWTSecret      string   `json:"jwt_secret"`
	NodeID         string   `json:"node_id"`
}

// Data is the data section.
type Data struct {
	DataDir      string `json:"data_dir"`
	MySQLDSN     string `json:"mysql_dsn"`
	RedisAddr    string `json:"redis_addr"`
	MaxOpenConns int    `json:"max_open_conns"`
}

// Auth is the auth section: limits on the bearer tokens the server accepts.
type Auth struct {
	// MaxTokenTTL refuses tokens whose exp lies further ahead (default 24h).
	MaxTokenTTL Duration `json:"max_token_ttl"`
	// Issuer and Audience, when set, must match the token's iss and aud.
	Issuer   string `json:"issuer"`
	Audience string `json:"audience"`
}

// Config is the loaded configuration.
type Config struct {
	Server Server
	Data   Data
	Auth   Auth
	raw    config.Config
}

// Duration reads "30s" style values.
type Duration struct{ time.Duration }

// UnmarshalJSON accepts a Go duration string or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" {
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q", s)
	}
	d.Duration = v
	return nil
}

// Load reads the configuration: HUABEI_CONFIG or the embedded default, then environment.
func Load() (*Config, error) {
	var src config.Source
	if p := os.Getenv("HUABEI_CONFIG"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("conf: HUABEI_CONFIG: %w", err)
		}
		src = file.NewSource(p)
	} else {
		src = bytesSource(configs.Default)
	}
	return load(src)
}

// LoadBytes reads a configuration from YAML text (tests).
func LoadBytes(yaml []byte) (*Config, error) { return load(bytesSource(yaml)) }

func load(src config.Source) (*Config, error) {
	c := config.New(config.WithSource(src))
	if err := c.Load(); err != nil {
		return nil, fmt.Errorf("conf: load: %w", err)
	}
	out := &Config{raw: c}
	if err := c.Value("server").Scan(&out.Server); err != nil {
		return nil, fmt.Errorf("conf: server section: %w", err)
	}
	if err := c.Value("data").Scan(&out.Data); err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, fmt.Errorf("conf: data section: %w", err)
	}
	if err := c.Value("auth").Scan(&out.Auth); err != nil && !errors.Is(err, config.ErrNotFound) {
		return nil, fmt.Errorf("conf: auth section: %w", err)
	}
	out.applyEnv()
	return out, out.validate()
}

func (c *Config) applyEnv() {
	set := func(name string, dst *string) {
		if v, ok := os.LookupEnv(name); ok {
			*dst = v
		}
	}
	set("HUABEI_HTTP_ADDR", &c.Server.HTTPAddr)
	set("HUABEI_GRPC_ADDR", &c.Server.GRPCAddr)
	set("HUABEI_DATA_DIR", &c.Data.DataDir)
	set("HUABEI_MYSQL_DSN", &c.Data.MySQLDSN)
	set("HUABEI_REDIS_ADDR", &c.Data.RedisAddr)
	set("HUABEI_JWT_SECRET", &c.Server.JWTSecret)
	set("HUABEI_MODE", &c.Server.Mode)
	set("HUABEI_NODE_ID", &c.Server.NodeID)
	if c.Server.HTTPAddr == "" {
		c.Server.HTTPAddr = "127.0.0.1:8000"
	}
	if c.Server.GRPCAddr == "" {
		c.Server.GRPCAddr = "127.0.0.1:9000"
	}
	if c.Server.Mode == "" {
		c.Server.Mode = ModeDev
	}
	if c.Server.JWTSecret == "" {
		c.Server.JWTSecret = DefaultJWTSecret
	}
	if c.Server.RequestTimeout.Duration == 0 {
		c.Server.RequestTimeout.Duration = 30 * time.Second
	}
	if c.Server.MaxBodyBytes == 0 {
		c.Server.MaxBodyBytes = 1 << 20
	}
	if c.Auth.MaxTokenTTL.Duration == 0 {
		c.Auth.MaxTokenTTL.Duration = 24 * time.Hour
	}
	if c.Data.DataDir == "" {
		c.Data.DataDir = "./var"
	}
	c.Data.DataDir = filepath.Clean(c.Data.DataDir)
}

func (c *Config) validate() error {
	if c.Auth.MaxTokenTTL.Duration < 0 {
		return errors.New("conf: auth.max_token_ttl must be positive")
	}
	switch c.Server.Mode {
	case ModeDev, ModeSimulation:
	case ModeProduction:
		if c.Server.JWTSecret == DefaultJWTSecret || len(c.Server.JWTSecret) < 16 {
			return errors.New("conf: production mode needs HUABEI_JWT_SECRET set to a secret of at least 16 characters (the default secret is refused)")
		}
	default:
		return fmt.Errorf("conf: server.mode %q must be dev, simulation or production", c.Server.Mode)
	}
	return nil
}

// Production reports production mode.
func (c *Config) Production() bool { return c.Server.Mode == ModeProduction }

// Scan decodes the section named key into v; a missing section leaves v unchanged, so
// callers fill v with defaults first.
func (c *Config) Scan(key string, v any) error {
	if c.raw == nil {
		return nil
	}
	err := c.raw.Value(key).Scan(v)
	if errors.Is(err, config.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("conf: section %s: %w", key, err)
	}
	return nil
}

type memSource []byte

func bytesSource(b []byte) config.Source { return memSource(b) }

func (m memSource) Load() ([]*config.KeyValue, error) {
	return []*config.KeyValue{{Key: "config.yaml", Value: m, Format: "yaml"}}, nil
}

func (m memSource) Watch() (config.Watcher, error) { return noWatch{}, nil }

type noWatch struct{ done chan struct{} }

func (noWatch) Next() ([]*config.KeyValue, error) { select {} }
func (noWatch) Stop() error                       { return nil }
