package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/dockerapp"
	"github.com/mlstack/mlstack/internal/runs"
	"github.com/mlstack/mlstack/internal/ui"
)

func newRunsCmd(env *app.Env) *cobra.Command {
	var format string
	var n int
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List recorded training runs, newest first",
		Example: `  mlstack runs
  mlstack runs --format json -n 5 | jq '.[].exit_code'
  mlstack runs show latest
  mlstack runs diff 20261123-1530 latest`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := runStore(cmd, env)
			if err != nil {
				return err
			}
			recs, err := store.List(n)
			var corrupt *runs.CorruptError
			if errors.As(err, &corrupt) {
				env.UI.Warn("%v", err)
			} else if err != nil {
				return err
			}
			if format == "json" {
				if recs == nil {
					recs = []runs.Record{}
				}
				return ui.WriteJSON(env.UI.Out, recs)
			}
			if len(recs) == 0 {
				env.UI.Info("no runs recorded yet: `mlstack train` records every run")
				return nil
			}
			return runs.WriteTable(env.UI.Out, recs)
		},
	}
	addFormatFlag(cmd, &format, "json: an array of records", "table", "json")
	cmd.Flags().IntVarP(&n, "last", "n", 0, "show only the newest N runs")
	cmd.AddCommand(newRunsShowCmd(env), newRunsDiffCmd(env), newRunsPruneCmd(env))
	return cmd
}

func newRunsShowCmd(env *app.Env) *cobra.Command {
	var lines int
	var format string
	cmd := &cobra.Command{
		Use:   "show RUN",
		Short: "Show one run's record and the tail of its output (RUN: an ID, a prefix, or latest)",
		Example: `  mlstack runs show latest              # the newest run and its last 20 lines of output
  mlstack runs show 20261201 -n 0       # a run by ID prefix, with all of its kept output
  mlstack runs show latest --format json | jq .exit_code`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := runStore(cmd, env)
			if err != nil {
				return err
			}
			rec, err := store.Get(args[0])
			if err != nil {
				return err
			}
			if format == "json" {
				return ui.WriteJSON(env.UI.Out, rec)
			}
			// Curves are for --format json and the dashboard; the last values ("metrics") stay.
			short := *rec
			short.MetricSeries = nil
			if err := ui.WriteJSON(env.UI.Out, &short); err != nil {
				return err
			}
			tail, err := store.Tail(rec.ID, lines)
			if err != nil {
				env.UI.Warn("no output kept for run %s: %v", rec.ID, err)
				return nil
			}
			fmt.Fprintf(env.UI.Out, "\n--- last %s lines of output (%s) ---\n", strconv.Itoa(len(tail)), rec.LogFile)
			for _, l := range tail {
				// A progress bar's redraws: its last state is what a terminal showed.
				if i := strings.LastIndex(l, "\r"); i >= 0 {
					l = l[i+1:]
				}
				fmt.Fprintln(env.UI.Out, l)
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&lines, "tail", "n", 20, "lines of output to show (0: all)")
	addFormatFlag(cmd, &format, "json: only the record", "text", "json")
	return cmd
}

func newRunsDiffCmd(env *app.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "diff RUN RUN",
		Short: "Show what differs between two runs (image, commit, config, env, command, GPUs, exit, duration, metrics)",
		Example: `  mlstack runs                          # find the IDs
  mlstack runs diff 20261201-1402 latest # what changed between a run and the newest one`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := runStore(cmd, env)
			if err != nil {
				return err
			}
			a, err := store.Get(args[0])
			if err != nil {
				return err
			}
			b, err := store.Get(args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(env.UI.Out, "A: %s\nB: %s\n", a.ID, b.ID)
			return runs.WriteDiff(env.UI.Out, runs.Diff(a, b))
		},
	}
}

func newRunsPruneCmd(env *app.Env) *cobra.Command {
	var keep int
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove old run records and their output, keeping the newest",
		Example: `  mlstack runs prune                    # keep the newest 20
  mlstack runs prune --keep 5`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := runStore(cmd, env)
			if err != nil {
				return err
			}
			removed, err := store.Prune(keep)
			for _, id := range removed {
				fmt.Fprintln(env.UI.Out, id)
			}
			if err != nil {
				return err
			}
			env.UI.Info("removed %d run(s), kept the newest %d", len(removed), keep)
			return nil
		},
	}
	cmd.Flags().IntVar(&keep, "keep", 20, "how many of the newest runs to keep")
	return cmd
}

// runStore opens the project's run records, settled against the engine (dockerapp.RunStore).
func runStore(cmd *cobra.Command, env *app.Env) (runs.Store, error) {
	return dockerapp.RunStore(cmd.Context(), env)
}
