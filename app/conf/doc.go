// Package conf loads the configuration once at start-up: the embedded configs/config.yaml
// or the file named by HUABEI_CONFIG, then the HUABEI_* environment overrides. Each
// domain reads its own section with Scan.
package conf
