package runs

import (
	"slices"
	"strings"
	"testing"
)

func TestIsSecretKeyRealWorldNames(t *testing.T) {
	secret := []string{
		"PGPASSWORD", "OPENAI_APIKEY", "MY_APIKEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN",
		"HUGGING_FACE_HUB_TOKEN", "HUGGINGFACEHUB_API_TOKEN", "WANDB_API_KEY", "COMET_API_KEY",
		"NEPTUNE_API_TOKEN", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AZURE_CLIENT_SECRET", "AZURE_STORAGE_KEY",
		"GOOGLE_APPLICATION_CREDENTIALS", "GITHUB_TOKEN", "GH_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN",
		"DOCKER_PASSWORD", "REGISTRY_PASS", "SMTP_PASS", "DB_PWD", "MYSQL_ROOT_PASSWORD",
		"POSTGRES_PASSWORD", "REDIS_PASSWORD", "RABBITMQ_DEFAULT_PASS", "MINIO_ROOT_PASSWORD",
		"MINIO_SECRET_KEY", "SECRET_KEY", "DJANGO_SECRET_KEY", "JWT_SECRET", "STRIPE_KEY",
		"SLACK_BOT_TOKEN", "SENTRY_AUTH_TOKEN", "NPM_TOKEN", "PYPI_TOKEN", "TWINE_PASSWORD",
		"KAGGLE_KEY", "SSH_PRIVATE_KEY", "GPG_PASSPHRASE", "VAULT_TOKEN", "CONSUL_HTTP_TOKEN",
		"DATABRICKS_TOKEN", "SNOWFLAKE_PASSWORD", "mysqlpasswd", "clientsecret", "api-key", "db.password",
		"LANGCHAIN_API_KEY", "PINECONE_API_KEY", "COHERE_API_KEY", "REPLICATE_API_TOKEN", "API_KEYS",
	}
	harmless := []string{
		"PWD", "OLDPWD", "AUTHOR", "TOKENIZERS_PARALLELISM", "KEYBOARD", "MONKEY_PATCH", "HOCKEY_TEAM",
		"PRIMARY_KEYSPACE", "POSTGRES_PASSWORD_FILE", "MYSQL_ROOT_PASSWORD_FILE", "DOCKER_PASSWORD_FILE",
		"OAUTH_TOKEN_URL", "SSH_KEY_PATH", "JWT_KEY_TYPE", "TOKEN_TTL", "MAX_TOKENS", "MAX_NEW_TOKENS",
		"HOME", "PATH", "CUDA_VISIBLE_DEVICES", "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME",
		"PYTHONUNBUFFERED", "OMP_NUM_THREADS", "EPOCHS", "LEARNING_RATE", "BATCH_SIZE", "HF_HOME",
		"TRANSFORMERS_CACHE", "PASSAGE_COUNT", "BYPASS_CACHE", "COMPASS", "SSH_AUTH_SOCK", "GPG_TTY",
		"KEYCLOAK_URL", "TURKEY", "DESKTOP_SESSION", "WANDB_PROJECT", "PRIMARY_KEY", "SORT_KEY",
	}
	for _, n := range secret {
		if !IsSecretKey(n) {
			t.Errorf("IsSecretKey(%q) = false, want true", n)
		}
	}
	for _, n := range harmless {
		if IsSecretKey(n) {
			t.Errorf("IsSecretKey(%q) = true, want false", n)
		}
	}
}

func TestMaskValue(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://user:pw@host:5432/db", "postgres://user:***@host:5432/db"},
		{"mysql+pymysql://root:s3cr%40t@db/ml?charset=utf8", "mysql+pymysql://root:***@db/ml?charset=utf8"},
		{"redis://:redispw@cache:6379/0", "redis://:***@cache:6379/0"},
		{"https://x-access-token:ghs_abcdefghijklmnopqrstuvwx@github.com/o/r.git", "https://x-access-token:***@github.com/o/r.git"},
		{"https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/o/r", "https://***@github.com/o/r"},
		{"a=amqp://guest:guest@rabbit, b=http://u:p@h", "a=amqp://guest:***@rabbit, b=http://u:***@h"},
		{"sk-proj-abcdefghijklmnopqrstuvwxyz", "***"},
		{"hf_abcdefghijklmnopqrstuvwxyz", "***"},
		{"AKIAIOSFODNN7EXAMPLE", "***"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----", "***"},
		{"http://mlflow:5000", "http://mlflow:5000"},
		{"postgres://user@host/db", "postgres://user@host/db"},
		{"user@example.com", "user@example.com"},
		{"0.001", "0.001"},
	}
	for _, tt := range tests {
		got, masked := MaskValue(tt.in)
		if got != tt.want || masked != (tt.in != tt.want) {
			t.Errorf("MaskValue(%q) = %q, %v; want %q", tt.in, got, masked, tt.want)
		}
	}
}

func TestMaskArgs(t *testing.T) {
	tests := []struct {
		in, want, hidden string
	}{
		{"python train.py --token=abc --epochs 3", "python train.py --token=*** --epochs 3", "--token"},
		{"python train.py --password hunter2 --lr 0.1", "python train.py --password *** --lr 0.1", "--password"},
		{"train --hf-token hf_x --wandb-api-key k", "train --hf-token *** --wandb-api-key ***", "--hf-token,--wandb-api-key"},
		{"train --db postgres://u:pw@db/x", "train --db postgres://u:***@db/x", "argument 3"},
		{"env OPENAI_API_KEY=sk-1 python x.py", "env OPENAI_API_KEY=*** python x.py", "OPENAI_API_KEY"},
		{"train --password --verbose", "train --password --verbose", ""},
		{"train --max-tokens 512 --tokenizer bpe --key-path /k", "train --max-tokens 512 --tokenizer bpe --key-path /k", ""},
	}
	for _, tt := range tests {
		got, hidden := MaskArgs(strings.Fields(tt.in))
		if strings.Join(got, " ") != tt.want || strings.Join(hidden, ",") != tt.hidden {
			t.Errorf("MaskArgs(%q) = %q hiding %v; want %q hiding %s", tt.in, strings.Join(got, " "), hidden, tt.want, tt.hidden)
		}
	}
	if got, _ := MaskArgs(nil); got != nil {
		t.Errorf("MaskArgs(nil) = %v, want nil (the image's command)", got)
	}
}

func TestMaskEnvMasksURLsInAnyValue(t *testing.T) {
	env, masked := MaskEnv([]string{"DATABASE_URL=postgres://ml:pw@db/ml", "PGPASSWORD=pw", "MLFLOW_TRACKING_URI=http://mlflow:5000"})
	if env["DATABASE_URL"] != "postgres://ml:***@db/ml" || env["PGPASSWORD"] != Mask || env["MLFLOW_TRACKING_URI"] != "http://mlflow:5000" {
		t.Errorf("MaskEnv = %v", env)
	}
	if !slices.Equal(masked, []string{"DATABASE_URL", "PGPASSWORD"}) {
		t.Errorf("masked = %v", masked)
	}
}
