package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// parseExit parses an exit status, which a process can only report in 0..255.
func parseExit(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 255 {
		return 0, fmt.Errorf("exit code %d outside 0..255", n)
	}
	return n, nil
}

func runExit(s *sys, args []string) error {
	f := newFlags(s, "exit")
	message := f.str("message", "FIXTURE_MESSAGE", "done", "line printed first")
	after := f.duration("after", "FIXTURE_EXIT_AFTER", 0, "wait this long before exiting")
	// TRAIN_EXIT, the training convention of the acceptance tests, beats FIXTURE_EXIT_CODE; an explicit flag beats both.
	def := fromEnv(f, "FIXTURE_EXIT_CODE", 0, parseExit)
	def = fromEnv(f, "TRAIN_EXIT", def, parseExit)
	code := f.Int("code", def, "exit status (env TRAIN_EXIT, else FIXTURE_EXIT_CODE)")
	if err := f.parseNone(args); err != nil {
		return err
	}
	if *code < 0 || *code > 255 {
		return usagef("exit code %d outside 0..255", *code)
	}
	s.printf("%s\n", *message)
	if sig := s.wait(*after); sig != nil {
		s.printf("got %s\n", sigName(sig))
	}
	return exitCode(*code)
}

func runSleep(s *sys, args []string) error {
	f := newFlags(s, "sleep")
	forDur := f.duration("for", "FIXTURE_SLEEP_FOR", 0, "exit 0 after this long (0: until signalled)")
	ignore := f.boolean("ignore-term", "FIXTURE_IGNORE_TERM", "ignore SIGTERM and SIGINT; only SIGKILL ends it")
	if err := f.parseNone(args); err != nil {
		return err
	}
	s.printf("sleeping\n")
	var deadline <-chan time.Time
	if *forDur > 0 {
		t := time.NewTimer(*forDur)
		defer t.Stop()
		deadline = t.C
	}
	for {
		select {
		case <-deadline:
			s.printf("slept %s\n", *forDur)
			return nil
		case sig := <-s.signals:
			if *ignore {
				s.printf("ignoring %s\n", sigName(sig))
				continue
			}
			s.printf("got %s\n", sigName(sig))
			return nil
		}
	}
}

func runPrint(s *sys, args []string) error {
	f := newFlags(s, "print")
	lines := f.integer("lines", "FIXTURE_LINES", 3, "number of lines to print")
	interval := f.duration("interval", "FIXTURE_INTERVAL", 0, "pause between writes")
	progress := f.integer("progress", "FIXTURE_PROGRESS", 0, "draw a \\r progress bar this many steps long first")
	if err := f.parseNone(args); err != nil {
		return err
	}
	// Each write goes straight to stdout so a log follower sees it at once.
	if *progress > 0 {
		for i := 0; i <= *progress; i++ {
			if i > 0 {
				if sig := s.wait(*interval); sig != nil {
					s.printf("\ngot %s\n", sigName(sig))
					return nil
				}
			}
			s.printf("\rprogress %d/%d", i, *progress)
		}
		s.printf("\n")
	}
	for i := 1; i <= *lines; i++ {
		if i > 1 {
			if sig := s.wait(*interval); sig != nil {
				s.printf("got %s\n", sigName(sig))
				return nil
			}
		}
		s.printf("line %d\n", i)
	}
	return nil
}

// progressBar draws step of steps as a ten-cell bar, like tqdm.
func progressBar(step, steps int) string {
	filled := 10 * step / steps
	return "[" + strings.Repeat("#", filled) + strings.Repeat(" ", 10-filled) + "] " + strconv.Itoa(step) + "/" + strconv.Itoa(steps)
}

func runTrain(s *sys, args []string) error {
	f := newFlags(s, "train")
	epochs := f.integer("epochs", "FIXTURE_EPOCHS", 3, "number of epochs")
	steps := f.integer("steps", "FIXTURE_STEPS", 5, "progress steps per epoch")
	interval := f.duration("interval", "FIXTURE_INTERVAL", 100*time.Millisecond, "time per progress step")
	showEnv := f.str("show-env", "FIXTURE_SHOW_ENV", "MLFLOW_TRACKING_URI", "comma list of env vars to print")
	out := f.str("out", "FIXTURE_OUT", "", "write a model file here at the end")
	report := f.boolean("metrics", "FIXTURE_METRICS", "report loss and accuracy per epoch as MLSTACK_METRIC lines")
	code := f.Int("exit-code", fromEnv(f, "TRAIN_EXIT", 0, parseExit), "exit status at the end (env TRAIN_EXIT)")
	if err := f.parseNone(args); err != nil {
		return err
	}
	if *epochs < 0 || *steps < 1 {
		return usagef("need --epochs >= 0 and --steps >= 1")
	}
	if *code < 0 || *code > 255 {
		return usagef("exit code %d outside 0..255", *code)
	}
	for _, name := range strings.Split(*showEnv, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if v, ok := s.lookup(name); ok {
			s.printf("%s=%s\n", name, v)
		} else {
			s.printf("%s unset\n", name)
		}
	}
	s.printf("training %d epochs\n", *epochs)
	for e := 1; e <= *epochs; e++ {
		bar := ""
		for step := 0; step <= *steps; step++ {
			if step > 0 {
				if sig := s.wait(*interval); sig != nil {
					s.printf("\ngot %s\ntraining interrupted\n", sigName(sig))
					return exitCode(130)
				}
			}
			bar = progressBar(step, *steps)
			s.printf("\r%s", bar)
		}
		line := fmt.Sprintf("epoch %d/%d loss=%.4f", e, *epochs, 1/float64(e+1))
		if len(line) < len(bar) {
			// Blank out what the bar leaves past the end of a shorter line.
			s.printf("\r%s", strings.Repeat(" ", len(bar)))
		}
		s.printf("\r%s\n", line)
		if *report {
			s.printf("MLSTACK_METRIC {\"step\": %d, \"loss\": %.4f, \"accuracy\": %.4f}\n", e, 1/float64(e+1), 1-1/float64(e+2))
		}
	}
	if *out != "" {
		if err := writeFile(*out, "model trained\n"); err != nil {
			return fmt.Errorf("save model: %w", err)
		}
		s.printf("saved model to %s\n", *out)
	}
	s.printf("training done, exit %d\n", *code)
	return exitCode(*code)
}

// writeFile writes content to p, creating its parent directories.
func writeFile(p, content string) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, []byte(content), 0o644)
}
