package main

import "github.com/spf13/cobra"

// addPoolServerCommands adds the pool commands that talk to the server API.
func addPoolServerCommands(cmd *cobra.Command) {}
