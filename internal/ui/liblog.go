package ui

import (
	"io"

	"github.com/sirupsen/logrus"
)

// RouteLibraryLogs prints the warnings of libraries that log through logrus (compose-go's "variable
// is not set", "`version` is obsolete") as mlstack's own warning lines, instead of logrus's
// `time="..." level=warning msg="..."`. Call it once, at start.
func (s *Streams) RouteLibraryLogs() {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.WarnLevel)
	logrus.AddHook(warnHook{s})
}

type warnHook struct{ s *Streams }

func (warnHook) Levels() []logrus.Level {
	return []logrus.Level{logrus.PanicLevel, logrus.FatalLevel, logrus.ErrorLevel, logrus.WarnLevel}
}

func (h warnHook) Fire(e *logrus.Entry) error {
	h.s.Warn("%s", e.Message)
	return nil
}
