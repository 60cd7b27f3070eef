package runs

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Mask is what a secret value, or the secret part of one, is replaced with.
const Mask = "***"

// secretWords are name words that mark a secret on their own (DB_PASS, SSH_KEY, DB_PWD).
var secretWords = []string{
	"TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PWD", "PASS", "PASSPHRASE",
	"KEY", "KEYS", "APIKEY", "APIKEYS", "CREDENTIAL", "CREDENTIALS", "CREDS", "SALT",
}

// secretSuffixes mark a secret at the end of a compound word (PGPASSWORD, OPENAIAPIKEY, GHTOKEN).
// KEY alone is not among them: MONKEY and HOCKEY are not secrets.
var secretSuffixes = []string{
	"TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "APIKEY", "ACCESSKEY", "SECRETKEY",
	"PRIVATEKEY", "AUTHKEY", "CREDENTIALS", "CREDENTIAL",
}

// describing are words that, after a secret word, make the name describe the secret rather than hold
// it (POSTGRES_PASSWORD_FILE is a path, TOKEN_URL an endpoint, KEY_TYPE an algorithm).
var describing = []string{
	"FILE", "PATH", "DIR", "NAME", "URL", "URI", "ENDPOINT", "TYPE", "TTL", "EXPIRY", "EXPIRES",
	"EXPIRATION", "LENGTH", "LEN", "ENABLED", "REQUIRED", "ALGORITHM", "HEADER", "FORMAT",
}

// harmless are well-known names that match a secret word but never hold one.
var harmless = []string{
	"PWD", "OLDPWD", "AUTHOR", "TOKENIZERS_PARALLELISM", "GPG_TTY", "SSH_AUTH_SOCK", "KEYMAP",
	"XKB_DEFAULT_LAYOUT", "PASSWORD_STORE_DIR", "MAX_TOKENS", "MAX_NEW_TOKENS", "NUM_TOKENS",
	"MAX_INPUT_TOKENS", "MAX_TOTAL_TOKENS", "MAX_OUTPUT_TOKENS", "HF_HUB_DISABLE_IMPLICIT_TOKEN",
	"PRIMARY_KEY", "SORT_KEY", "PARTITION_KEY", "CACHE_KEY",
}

// IsSecretKey reports whether an environment variable (or flag) name looks like it holds a secret,
// case-insensitively: one of its words (split at _ - .) is a secret word (TOKEN, PASSWORD, PASSWD,
// PWD, PASS, SECRET, KEY, APIKEY, CREDENTIALS, ...) or ends in one as a compound (PGPASSWORD,
// OPENAI_APIKEY), and no describing word follows it (POSTGRES_PASSWORD_FILE is a path). Well-known
// harmless names (PWD, AUTHOR, TOKENIZERS_PARALLELISM, MAX_TOKENS, ...) stay visible.
func IsSecretKey(key string) bool {
	up := strings.ToUpper(key)
	if slices.Contains(harmless, up) {
		return false
	}
	words := strings.FieldsFunc(up, func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	last := -1
	for i, w := range words {
		if slices.Contains(secretWords, w) || hasSecretSuffix(w) {
			last = i
		}
	}
	if last < 0 {
		return false
	}
	for _, w := range words[last+1:] {
		if slices.Contains(describing, w) {
			return false
		}
	}
	return true
}

func hasSecretSuffix(w string) bool {
	for _, s := range secretSuffixes {
		if strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// secretValues are shapes of well-known credentials, masked whatever the variable's name.
var secretValues = regexp.MustCompile(`^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|xox[abposr]-[A-Za-z0-9-]{10,}|glpat-[A-Za-z0-9_-]{20,})$|-----BEGIN [A-Z ]*PRIVATE KEY-----`)

// urlUserinfo finds scheme://user:password@ (or scheme://token@) anywhere in a value.
var urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/@\s:]*)(:[^/@\s]*)?@`)

// MaskValue hides the secret parts of a value: a well-known credential shape entirely, the password
// of any URL's userinfo (postgres://user:***@db), and a long user-only userinfo (https://***@host),
// which is how tokens ride in git URLs. It reports whether anything was hidden.
func MaskValue(v string) (string, bool) {
	if secretValues.MatchString(v) {
		return Mask, true
	}
	masked := false
	out := urlUserinfo.ReplaceAllStringFunc(v, func(m string) string {
		sub := urlUserinfo.FindStringSubmatch(m)
		scheme, user, pass := sub[1], sub[2], sub[3]
		switch {
		case pass != "" && pass != ":":
			masked = true
			return scheme + user + ":" + Mask + "@"
		case len(user) >= 20 || secretValues.MatchString(user):
			masked = true
			return scheme + Mask + "@"
		}
		return m
	})
	return out, masked
}

// MaskEnv turns KEY=VALUE entries into a map with secrets masked and returns the sorted keys it
// masked: the whole value of a secret-looking name (IsSecretKey), the secret part of any other value
// (MaskValue). A later entry wins over an earlier one, as in docker; an entry without "=" gets an
// empty value. Empty secrets stay empty: masking them would hide a likely cause of failure.
func MaskEnv(env []string) (map[string]string, []string) {
	out := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" {
			continue
		}
		out[k] = v
	}
	var masked []string
	for k, v := range out {
		if v == "" {
			continue
		}
		if IsSecretKey(k) {
			out[k] = Mask
			masked = append(masked, k)
		} else if mv, ok := MaskValue(v); ok {
			out[k] = mv
			masked = append(masked, k)
		}
	}
	slices.Sort(masked)
	return out, masked
}

// MaskArgs masks the secrets of a command line: the value of a secret-looking flag (--token=X,
// --password X, --hf-token X), of a secret-looking NAME=VALUE argument, and the secret parts of any
// argument (MaskValue). It returns the masked copy and, for each hidden value, the flag or name it
// belonged to ("--token", "DB_PASSWORD", "argument 3").
func MaskArgs(args []string) ([]string, []string) {
	if args == nil {
		return nil, nil
	}
	out := slices.Clone(args)
	var hidden []string
	for i := 0; i < len(out); i++ {
		name, val, hasVal := strings.Cut(out[i], "=")
		flag := strings.HasPrefix(name, "-") && len(strings.TrimLeft(name, "-")) > 1
		switch {
		case flag && IsSecretKey(strings.TrimLeft(name, "-")) && !hasVal:
			// --password VALUE: the next argument is the value unless it is a flag itself.
			if i+1 < len(out) && !strings.HasPrefix(out[i+1], "-") {
				out[i+1] = Mask
				hidden = append(hidden, name)
				i++
			}
		case hasVal && val != "" && !strings.ContainsAny(name, " /:") && IsSecretKey(strings.TrimLeft(name, "-")):
			out[i] = name + "=" + Mask
			hidden = append(hidden, name)
		default:
			if mv, ok := MaskValue(out[i]); ok {
				out[i] = mv
				hidden = append(hidden, "argument "+strconv.Itoa(i+1))
			}
		}
	}
	return out, hidden
}
