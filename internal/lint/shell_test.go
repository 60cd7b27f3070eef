package lint

import (
	"reflect"
	"testing"
)

func TestShellCommands(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   [][]string
	}{
		{"apt-get update && apt-get install -y curl", [][]string{{"apt-get", "update"}, {"apt-get", "install", "-y", "curl"}}},
		{`pip install "numpy==1.26.4" 'torch==2.3.1'; echo done`, [][]string{{"pip", "install", "numpy==1.26.4", "torch==2.3.1"}, {"echo", "done"}}},
		{"pip install x==1 2>&1 | tee /tmp/log > /dev/null", [][]string{{"pip", "install", "x==1"}, {"tee", "/tmp/log"}}},
		{"set -eux\npip install a==1 # pinned", [][]string{{"set", "-eux"}, {"pip", "install", "a==1"}}},
		{`echo a\ b`, [][]string{{"echo", "a b"}}},
	} {
		if got := shellCommands(tc.script); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("shellCommands(%q) = %q, want %q", tc.script, got, tc.want)
		}
	}
}

func TestUnpinnedReason(t *testing.T) {
	for _, tc := range []struct {
		spec   string
		pinned bool
	}{
		{"numpy==1.26.4", true},
		{"torch===2.3.1+cpu", true},
		{"uvicorn[standard]==0.30.1", true},
		{"scipy == 1.13.0 ; python_version >= '3.10'", true},
		{"pkg @ https://example.com/pkg-1.0.whl#sha256=abcdef", true},
		{"pkg @ git+https://github.com/acme/pkg@0123456789abcdef0123456789abcdef01234567", true},
		{"numpy", false},
		{"numpy>=1.24", false},
		{"torch~=2.3", false},
		{"pandas>2", false},
		{"numpy==1.*", false},
		{"numpy>=1.24,==1.26.4", false},
		{"pkg @ https://example.com/pkg-1.0.whl", false},
		{"pkg @ git+https://github.com/acme/pkg@main", false},
	} {
		reason := unpinnedReason(tc.spec)
		if (reason == "") != tc.pinned {
			t.Errorf("unpinnedReason(%q) = %q, want pinned=%v", tc.spec, reason, tc.pinned)
		}
	}
}

func TestLooksSecret(t *testing.T) {
	for name, want := range map[string]bool{
		"API_KEY": true, "AWS_SECRET_ACCESS_KEY": true, "HF_TOKEN": true, "DB_PASSWORD": true, "PASSWD": true,
		"openai_api_key": true, "KEYBOARD_LAYOUT": false, "TOKENIZERS_PARALLELISM": false, "MONKEY": false,
		"GPG_KEY": false, "SECRET_KEY_FILE": false, "TOKEN_PATH": false, "PIP_NO_CACHE_DIR": false,
	} {
		if got := looksSecret(name); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", name, got, want)
		}
	}
}
