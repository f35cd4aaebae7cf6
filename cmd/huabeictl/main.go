// Command huabeictl is the operator CLI: migrations, dev tokens, jobs, pools, APR,
// scorecards, simulation and benchmarks. Subcommands live one per file and register
// themselves with addCommand in an init function.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/huabei/huabei/app"
	"github.com/huabei/huabei/app/auth"
	"github.com/huabei/huabei/app/conf"
	"github.com/huabei/huabei/app/data"
)

var subcommands []func() *cobra.Command

// addCommand registers a subcommand constructor (called from init in each file).
func addCommand(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "huabeictl",
		Short:         "Huabei operator CLI",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newMigrateCmd(), newTokenCmd(), newVersionCmd(), newScorecardCmd())
	for _, f := range subcommands {
		root.AddCommand(f())
	}
	return root
}

func main() {
	if err := newRoot().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "huabeictl:", err)
		os.Exit(1)
	}
}

// openData opens the configured database (same configuration and environment as the
// server) and runs migrations.
func openData(ctx context.Context) (*conf.Config, *data.Data, func(), error) {
	cfg, err := conf.Load()
	if err != nil {
		return nil, nil, nil, err
	}
	d, cleanup, err := data.Open(ctx, data.Options{
		MySQLDSN: cfg.Data.MySQLDSN, DataDir: cfg.Data.DataDir, RedisAddr: cfg.Data.RedisAddr,
		MaxOpenConns: cfg.Data.MaxOpenConns, Migrate: true,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return cfg, d, cleanup, nil
}

func newMigrateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "apply the embedded database migrations to the configured database",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, cleanup, err := openData(cmd.Context())
			if err != nil {
				return err
			}
			defer cleanup()
			where := "sqlite in " + cfg.Data.DataDir
			if cfg.Data.MySQLDSN != "" {
				where = "mysql"
			}
			fmt.Fprintln(cmd.OutOrStdout(), "migrations applied to", where)
			return nil
		},
	}
}

func newTokenCmd() *cobra.Command {
	var sub, role string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token --sub ID --role shopper|merchant|treasury|ops [--ttl 1h]",
		Short: "print a JWT signed with the configured secret (HUABEI_JWT_SECRET)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !auth.Role(role).Valid() {
				return fmt.Errorf("--role must be shopper, merchant, treasury or ops")
			}
			if sub == "" {
				return fmt.Errorf("--sub is required")
			}
			cfg, err := conf.Load()
			if err != nil {
				return err
			}
			v := auth.Verifier{Secret: cfg.Server.JWTSecret, MaxTTL: cfg.Auth.MaxTokenTTL.Duration, Issuer: cfg.Auth.Issuer, Audience: cfg.Auth.Audience}
			tok, err := v.Mint(sub, auth.Role(role), ttl, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	cmd.Flags().StringVar(&sub, "sub", "", "subject: user id, merchant id or operator name")
	cmd.Flags().StringVar(&role, "role", "", "shopper, merchant, treasury or ops")
	cmd.Flags().DurationVar(&ttl, "ttl", time.Hour, "token lifetime (at most auth.max_token_ttl, default 24h)")
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "huabeictl", app.Version)
		},
	}
}
