package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxLabel is the longest DNS label (RFC 1123) an object name, and a label value, may be.
const maxLabel = 63

// Name turns a compose name (services allow `_`, `.` and capitals) into a DNS label that is also a
// valid Service name (RFC 1035: it starts with a letter). The rule is stable and documented in
// docs/kubernetes.md: lower-case it; every character other than a-z, 0-9 and `-` becomes `-`; leading
// and trailing `-` are dropped; a name that does not start with a letter gets the prefix `s-`; a name
// longer than 63 characters keeps its first 54 and ends in `-` and 8 hex digits of its SHA-256.
func Name(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '-'
		}
	}
	n := strings.Trim(string(b), "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "s-" + n
		n = strings.TrimSuffix(n, "-")
	}
	if len(n) > maxLabel {
		sum := sha256.Sum256([]byte(s))
		n = strings.TrimRight(n[:54], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	return n
}

// JobName is the name of a one-off Job of service: its name, "-run-" and suffix, shortened as Name
// does so the whole stays a DNS label.
func JobName(service, suffix string) string {
	base := Name(service)
	if room := maxLabel - len("-run-") - len(suffix); len(base) > room {
		base = strings.TrimRight(base[:room], "-")
	}
	return base + "-run-" + suffix
}
