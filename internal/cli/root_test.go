package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mlstack/mlstack/internal/app"
	"github.com/mlstack/mlstack/internal/ui"
)

func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

func testRoot() *cobra.Command {
	var out bytes.Buffer
	return NewRoot(&app.Env{UI: ui.Test(nil, &out, &out)})
}

// Every command a user can see explains itself with examples in --help.
func TestEveryCommandHasExamples(t *testing.T) {
	for _, c := range allCommands(testRoot()) {
		if c.Hidden || !c.HasParent() {
			continue
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no Examples in its --help", c.CommandPath())
		}
	}
}

// A wrong number of arguments, on any command, prints the command's usage line with the error.
func TestWrongArgumentCountShowsUsage(t *testing.T) {
	checked := 0
	for _, c := range allCommands(testRoot()) {
		if c.Args == nil || !c.HasParent() {
			continue
		}
		for n := 0; n <= 4; n++ {
			args := make([]string, n)
			for i := range args {
				args[i] = "x"
			}
			err := c.Args(c, args)
			if err == nil {
				continue
			}
			checked++
			if !strings.Contains(err.Error(), "\nUsage: "+c.UseLine()) {
				t.Errorf("%s with %d arguments: %q lacks the usage line %q", c.CommandPath(), n, err, c.UseLine())
			}
			break
		}
	}
	if checked < 10 {
		t.Errorf("only %d commands refused some argument count; the walk is not reaching them", checked)
	}
}

// Through the real entry point: the error and the usage line reach the user.
func TestWrongArgumentCountEndToEnd(t *testing.T) {
	var out bytes.Buffer
	streams := ui.Test(nil, &out, &out)
	root := NewRoot(&app.Env{UI: streams})
	root.SetArgs([]string{"runs", "show"})
	err := root.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "accepts 1 arg(s), received 0\nUsage: mlstack runs show RUN [flags]") {
		t.Errorf("mlstack runs show: %v", err)
	}
}
