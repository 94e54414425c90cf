package config_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stolik/stolik/agent/config"
)

var cred = config.Hub{
	URLs: []string{"wss://hub.example.ru"}, AgentID: "agt_7", Secret: "s3cret",
}

func TestWriteCredentialCreatesFromTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "etc", "agent.yaml")
	if err := config.WriteCredential(path, cred); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatalf("the written file does not load: %v", err)
	}
	if diff := cmp.Diff(c.Hub, cred); diff != "" {
		t.Errorf("hub (-got +want):\n%s", diff)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), "# The outbox (outbox.db)") {
		t.Errorf("template comments lost:\n%s", b)
	}
	assertPrivate(t, path)
}

func TestWriteCredentialKeepsTheRest(t *testing.T) {
	path := write(t, `# kept: a comment at the top
version: 1
hub:
  urls: [wss://old.example.ru]
  agent_id: agt_old
  secret: old
data_dir: elsewhere   # kept: a line comment
poll_interval: 2s
`)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := config.WriteCredential(path, cred); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Hub, cred); diff != "" {
		t.Errorf("hub (-got +want):\n%s", diff)
	}
	if c.PollInterval.String() != "2s" || filepath.Base(c.DataDir) != "elsewhere" {
		t.Errorf("other keys changed: poll_interval %v, data_dir %s", c.PollInterval, c.DataDir)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"# kept: a comment at the top", "# kept: a line comment"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("comment %q lost:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), "old") {
		t.Errorf("old credential left behind:\n%s", b)
	}
	assertPrivate(t, path)
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".agent.yaml-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestWriteCredentialRefusesNonMapping(t *testing.T) {
	path := write(t, "- a\n- b\n")
	err := config.WriteCredential(path, cred)
	if err == nil || !strings.Contains(err.Error(), "not a YAML mapping") {
		t.Fatalf("err = %v, want the file's shape named", err)
	}
}

func TestTemplateIsValidOnceEnrolled(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			body := strings.Replace(config.Template(goos), `urls: []
  agent_id: ""
  secret: ""`, "urls: [wss://h.example]\n  agent_id: a\n  secret: s", 1)
			c, err := config.Load(write(t, body))
			if err != nil {
				t.Fatal(err)
			}
			if goos == "linux" && c.DataDir != config.LinuxDataDir {
				t.Errorf("data_dir = %s, want %s", c.DataDir, config.LinuxDataDir)
			}
		})
	}
}

func TestDefaultPath(t *testing.T) {
	want := map[string]string{"linux": "/etc/stolik/agent.yaml"}[runtime.GOOS]
	if runtime.GOOS == "windows" {
		want = filepath.Join(os.Getenv("ProgramData"), "Stolik", "agent.yaml")
	}
	if want != "" && config.DefaultPath() != want {
		t.Errorf("DefaultPath() = %s, want %s", config.DefaultPath(), want)
	}
}

func assertPrivate(t testing.TB, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return // the DACL is set by Secure; checked on Windows by hand
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
}
