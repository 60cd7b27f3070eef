package runs

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Change is one field that differs between two runs; A and B are display values, "" when absent.
type Change struct {
	Field string
	A, B  string
}

// Diff lists what differs from run a to run b, in a fixed order: image, git commit, config hash,
// command, environment (per key, sorted), GPUs, exit code, duration, last metric values (per name, sorted).
func Diff(a, b *Record) []Change {
	var out []Change
	add := func(field, va, vb string) {
		if va != vb {
			out = append(out, Change{Field: field, A: va, B: vb})
		}
	}
	add("image", a.ImageID, b.ImageID)
	add("git_commit", gitLabel(a), gitLabel(b))
	add("config_hash", a.ConfigHash, b.ConfigHash)
	add("command", quoteCommand(a.Command), quoteCommand(b.Command))
	keys := slices.Sorted(maps.Keys(a.Env))
	for k := range b.Env {
		if _, ok := a.Env[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		va, okA := a.Env[k]
		vb, okB := b.Env[k]
		if va != vb || okA != okB {
			out = append(out, Change{Field: "env." + k, A: envLabel(va, okA), B: envLabel(vb, okB)})
		}
	}
	add("gpus_requested", a.GPUsRequested, b.GPUsRequested)
	add("gpus_granted", a.GPUsGranted, b.GPUsGranted)
	add("exit_code", exitLabel(a), exitLabel(b))
	add("duration", durationLabel(a), durationLabel(b))
	names := slices.Sorted(maps.Keys(a.Metrics))
	for k := range b.Metrics {
		if _, ok := a.Metrics[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		add("metrics."+k, metricLabel(a.Metrics, k), metricLabel(b.Metrics, k))
	}
	return out
}

func gitLabel(r *Record) string {
	switch {
	case r.GitDirty == nil:
		return r.GitCommit
	case *r.GitDirty:
		return r.GitCommit + " (dirty)"
	default:
		return r.GitCommit
	}
}

func metricLabel(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func envLabel(v string, ok bool) string {
	if !ok {
		return "(unset)"
	}
	return v
}

func exitLabel(r *Record) string {
	if r.Lost {
		return "lost"
	}
	if !r.Finished() {
		return "running"
	}
	return strconv.Itoa(r.ExitCode)
}

func durationLabel(r *Record) string {
	if r.Lost {
		return "-"
	}
	if !r.Finished() {
		return "running"
	}
	return r.Duration().Round(time.Second).String()
}

// quoteCommand joins a command for display, quoting arguments a shell would split.
func quoteCommand(cmd []string) string {
	parts := make([]string, len(cmd))
	for i, a := range cmd {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`|&;<>(){}*?[]#~") {
			parts[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			parts[i] = a
		}
	}
	return strings.Join(parts, " ")
}

// WriteTable prints records as a table: ID, service, start (local time), duration, exit code,
// granted GPUs, commit (with * when dirty) and image.
func WriteTable(w io.Writer, records []Record) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSERVICE\tSTARTED\tDURATION\tEXIT\tGPUS\tCOMMIT\tIMAGE")
	for i := range records {
		r := &records[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.ID, r.Service, r.StartedAt.Local().Format("2006-01-02 15:04:05"),
			durationLabel(r), exitLabel(r), dash(r.GPUsGranted), dash(shortCommit(r)), dash(shortImage(r)))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write run table: %w", err)
	}
	return nil
}

// WriteDiff prints changes as FIELD, A, B columns, or a line saying there are none.
func WriteDiff(w io.Writer, changes []Change) error {
	if len(changes) == 0 {
		if _, err := fmt.Fprintln(w, "no differences"); err != nil {
			return fmt.Errorf("write run diff: %w", err)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIELD\tA\tB")
	for _, c := range changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Field, dash(c.A), dash(c.B))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write run diff: %w", err)
	}
	return nil
}

func shortCommit(r *Record) string {
	c := r.GitCommit
	if len(c) > 7 {
		c = c[:7]
	}
	if c != "" && r.GitDirty != nil && *r.GitDirty {
		c += "*"
	}
	return c
}

// shortImage prefers the first tag, as people recognise names, and falls back to a short ID.
func shortImage(r *Record) string {
	if len(r.ImageTags) > 0 {
		return r.ImageTags[0]
	}
	id := strings.TrimPrefix(r.ImageID, "sha256:")
	if len(id) > 12 {
		id = id[:12]
	}
	return id
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
