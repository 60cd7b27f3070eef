package cli

import "fmt"

// ExitError makes mlstack exit with Code: a job's or a command's exit code (run, train, exec), or 1
// for a report with errors (lint, doctor). Err, when set, is printed first.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// exitWith turns a job's exit code into the CLI's.
func exitWith(code int, err error) error {
	if err != nil {
		return err
	}
	if code != 0 {
		return &ExitError{Code: code}
	}
	return nil
}

// usageErr reports a mistake in the command line: a flag value or a combination of flags.
func usageErr(format string, args ...any) error { return fmt.Errorf(format, args...) }
