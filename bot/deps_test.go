package bot_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBrainImports: the brain imports neither the delivery runtime nor Prometheus
// nor a platform SDK; they depend on it, never the reverse.
func TestBrainImports(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go list: %v", err)
		}
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"channelbot/bot/inbox", "channelbot/bot/outbox", "channelbot/bot/wecom",
			"channelbot/bot/feishu", "channelbot/handlers", "channelbot/jobs", "github.com/prometheus/",
			"github.com/silenceper/", "github.com/larksuite/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("bot depends on %s", dep)
			}
		}
	}
}
