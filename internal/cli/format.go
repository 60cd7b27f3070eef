package cli

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// formatsAnnotation holds a command's --format values; the first is the default.
const formatsAnnotation = "mlstack.formats"

// addFormatFlag adds --format to cmd with its allowed values (the first is the default); the root
// checks the value before the command runs (checkFormat). note, when set, follows the list in the help.
func addFormatFlag(cmd *cobra.Command, p *string, note string, formats ...string) {
	help := "output format: " + orList(formats)
	if note != "" {
		help += " (" + note + ")"
	}
	cmd.Flags().StringVar(p, "format", formats[0], help)
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[formatsAnnotation] = strings.Join(formats, ",")
}

// checkFormat is the one check of every command's --format, with one message.
func checkFormat(cmd *cobra.Command) error {
	allowed, ok := cmd.Annotations[formatsAnnotation]
	if !ok {
		return nil
	}
	v, err := cmd.Flags().GetString("format")
	if err != nil {
		return nil
	}
	formats := strings.Split(allowed, ",")
	if slices.Contains(formats, v) {
		return nil
	}
	return usageErr("--format %q: want %s", v, orList(formats))
}

// orList joins values as "a, b or c".
func orList(vs []string) string {
	if len(vs) < 2 {
		return strings.Join(vs, "")
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}
