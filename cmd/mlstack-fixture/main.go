// Command mlstack-fixture is the single static program inside mlstack's test image: a server, a fake job and small file tools.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sys is everything a subcommand may touch outside its arguments, so tests can run subcommands in-process.
type sys struct {
	stdout, stderr io.Writer
	environ        []string         // KEY=value pairs, the only source of environment variables
	signals        <-chan os.Signal // SIGTERM and SIGINT deliveries
	hostname       func() (string, error)
}

// lookup reports the value of environment variable name and whether it is set.
func (s *sys) lookup(name string) (string, bool) {
	// Later entries win, as with os.Getenv on a duplicated key.
	val, found := "", false
	for _, kv := range s.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			val, found = v, true
		}
	}
	return val, found
}

// getenv returns the value of environment variable name, or "" when unset.
func (s *sys) getenv(name string) string {
	v, _ := s.lookup(name)
	return v
}

// printf writes to stdout; a failed write to stdout has nowhere better to be reported.
func (s *sys) printf(format string, args ...any) {
	fmt.Fprintf(s.stdout, format, args...)
}

// wait blocks for d or until a signal arrives, and returns the signal or nil.
// A zero d still picks up a signal that is already pending.
func (s *sys) wait(d time.Duration) os.Signal {
	if d <= 0 {
		select {
		case sig := <-s.signals:
			return sig
		default:
			return nil
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case sig := <-s.signals:
		return sig
	}
}

// command is one subcommand: its name, a one-line summary for usage and the function that runs it.
type command struct {
	name, args, summary string
	run                 func(s *sys, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "HTTP server with /health, /files/PATH, /env/NAME and /", runServe},
		{"probe", "[--url URL | --file PATH]", "health check: exit 0 on HTTP 200 (or when the file exists)", runProbe},
		{"exit", "[flags]", "print a message, wait, exit with a code (TRAIN_EXIT honoured)", runExit},
		{"sleep", "[--for DUR] [--ignore-term]", "block until SIGTERM/SIGINT", runSleep},
		{"print", "[flags]", "print numbered lines, optionally after a \\r progress bar", runPrint},
		{"train", "[flags]", "fake training job: epochs, progress bar, env, model file", runTrain},
		{"cat", "PATH...", "print files", runCat},
		{"ls", "[-R] [PATH]", "list a directory, one entry a line, dirs end in /", runLs},
		{"stat", "PATH", "print uid:gid mode size", runStat},
		{"write", "PATH CONTENT", "write CONTENT to PATH, creating parent directories", runWrite},
		{"rm", "[-r] PATH", "remove a file (or a tree with -r)", runRm},
		{"env", "", "print the environment, sorted", runEnv},
	}
}

// exitCode is returned by a subcommand that decides its own exit status.
type exitCode int

func (c exitCode) Error() string { return "exit " + strconv.Itoa(int(c)) }

// usageError marks a mistake in the command line; it exits 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fixture COMMAND [ARGS]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-6s %-28s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'fixture COMMAND -h' for its flags; every flag also reads the environment variable shown.")
}

// run executes the subcommand named by args[0] and returns the process exit status.
func run(s *sys, args []string) int {
	if len(args) == 0 {
		usage(s.stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(s.stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(s, args[1:])
		var code exitCode
		var uerr usageError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &code):
			return int(code)
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &uerr):
			fmt.Fprintf(s.stderr, "fixture %s: %v\n", name, err)
			fmt.Fprintf(s.stderr, "usage: fixture %s %s\n", c.name, c.args)
			return 2
		default:
			fmt.Fprintf(s.stderr, "fixture %s: %v\n", name, err)
			return 1
		}
	}
	fmt.Fprintf(s.stderr, "fixture: unknown command %q\n\n", name)
	usage(s.stderr)
	return 2
}

// flags is a flag.FlagSet whose defaults come from environment variables.
type flags struct {
	*flag.FlagSet
	s   *sys
	err error // bad environment values, reported after parsing
}

func newFlags(s *sys, name string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(s.stderr)
	fs.Usage = func() {
		for _, c := range commands() {
			if c.name == name {
				fmt.Fprintf(s.stderr, "usage: fixture %s %s\n%s\n", c.name, c.args, c.summary)
			}
		}
		fs.PrintDefaults()
	}
	return &flags{FlagSet: fs, s: s}
}

// fromEnv returns env's value when set and non-empty, recording a parse failure.
func fromEnv[T any](f *flags, env string, def T, parse func(string) (T, error)) T {
	v := f.s.getenv(env)
	if v == "" {
		return def
	}
	parsed, err := parse(v)
	if err != nil {
		f.err = errors.Join(f.err, fmt.Errorf("environment %s=%q: %w", env, v, err))
		return def
	}
	return parsed
}

func envNote(usage, env string) string {
	if env == "" {
		return usage
	}
	return usage + " (env " + env + ")"
}

func (f *flags) str(name, env, def, usage string) *string {
	return f.String(name, fromEnv(f, env, def, func(v string) (string, error) { return v, nil }), envNote(usage, env))
}

func (f *flags) integer(name, env string, def int, usage string) *int {
	return f.Int(name, fromEnv(f, env, def, strconv.Atoi), envNote(usage, env))
}

func (f *flags) boolean(name, env string, usage string) *bool {
	return f.Bool(name, fromEnv(f, env, false, strconv.ParseBool), envNote(usage, env))
}

func (f *flags) duration(name, env string, def time.Duration, usage string) *time.Duration {
	return f.Duration(name, fromEnv(f, env, def, time.ParseDuration), envNote(usage, env))
}

// parse parses args and returns the positional arguments; it fails on a bad flag or environment value.
func (f *flags) parse(args []string) ([]string, error) {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		// The flag package has already printed the error and the defaults.
		return nil, exitCode(2)
	}
	if f.err != nil {
		return nil, usageError{f.err}
	}
	return f.Args(), nil
}

// parseNone parses args for a subcommand that takes flags only.
func (f *flags) parseNone(args []string) error {
	rest, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	return nil
}

// sigName names a signal the way users write it.
func sigName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return sig.String()
}

func sortedEnviron(environ []string) []string {
	out := append([]string(nil), environ...)
	sort.Strings(out)
	return out
}

func main() {
	// Handling both signals matters as PID 1 in a container, where unhandled ones are ignored.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	s := &sys{
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		environ:  os.Environ(),
		signals:  sigs,
		hostname: os.Hostname,
	}
	os.Exit(run(s, os.Args[1:]))
}
