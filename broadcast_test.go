package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"channelbot/bot/wecom/wecomtest"
)

// dealerCompany writes a company of n dealer customers, each with one dealer user on
// WeCom (dealer00001 …), to a folder for import, and returns the folder.
func dealerCompany(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var cs, us strings.Builder
	cs.WriteString("code,name,aliases,type,tier,region,owner,visit_days\n")
	us.WriteString("id,name,role,manager,wecom_userid,feishu_open_id,customer,region,phone\n")
	us.WriteString("R01,李明,rep,,LiMing,,,城东,\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&cs, "K%05d,经销商%d号,,经销商,A,城东,R01,10|25\n", i, i)
		fmt.Fprintf(&us, "U%05d,老板%d,dealer,,dealer%05d,,K%05d,城东,\n", i, i, i, i)
	}
	products, err := os.ReadFile("models/demo/products.csv")
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"products.csv": string(products), "customers.csv": cs.String(), "users.csv": us.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const broadcastPolicy = `products: [P01]
price_type: 出厂价
price: 39
effective: 2099-12-01
audience: {regions: [城东], types: [经销商]}
text: 苹果汁1L 出厂价自12月1日起调整为39元/箱
`

// exactlyOnce checks that every one of n dealers got the policy exactly once.
func exactlyOnce(t *testing.T, sent []wecomtest.Sent, n int) {
	t.Helper()
	per := map[string]int{}
	for _, s := range sent {
		if strings.Contains(s.Content, "价格政策") {
			per[s.To]++
		}
	}
	for i := 1; i <= n; i++ {
		if c := per[fmt.Sprintf("dealer%05d", i)]; c != 1 {
			t.Fatalf("dealer%05d got the policy %d times", i, c)
		}
	}
}

func waitFor(t *testing.T, what string, limit time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBroadcastRate: a policy to 10,000 dealers goes out through a platform that
// refuses more than 1,000 sends a second, with the bot's limit set to match: it keeps
// at least 95% of that rate, nothing is refused, everyone gets exactly one.
func TestBroadcastRate(t *testing.T) {
	if raceEnabled || os.Getenv("THROUGHPUT_TEST") == "" {
		t.Skip("a throughput measurement, on an otherwise idle machine: .ci/run runs it alone, with THROUGHPUT_TEST=1 and without the race detector")
	}
	const n, perSecond = 10000, 1000
	db := tempDB(t)
	if _, errOut, err := runCmd(t, "", "import", "--db", db, dealerCompany(t, n)); err != nil {
		t.Fatalf("import: %v %s", err, errOut)
	}
	fake := wecomtest.NewServer(t, tCorpID, tSecret, tAgentID)
	fake.SetAppLimit(perSecond)
	startWeComBotEnv(t, fake, db, "WECOM_APP_RATE_PER_MINUTE", fmt.Sprint(perSecond*60))
	if _, errOut, err := runCmd(t, "", "policy", "create", "--db", db, "--file", writeFile(t, "p.yaml", broadcastPolicy)); err != nil {
		t.Fatalf("policy: %v %s", err, errOut)
	}
	waitFor(t, "all deliveries", 2*time.Minute, func() bool { return len(fake.Sent()) >= n })
	sent := fake.Sent()
	took := sent[len(sent)-1].At.Sub(sent[0].At)
	rate := float64(len(sent)-1) / took.Seconds()
	t.Logf("delivered %d in %v: %.0f/s (limit %d/s), refused %d", len(sent), took, rate, perSecond, fake.Refused())
	if rate < 0.95*perSecond {
		t.Errorf("achieved %.0f/s, want at least 95%% of %d/s", rate, perSecond)
	}
	if fake.Refused() != 0 {
		t.Errorf("%d sends refused for rate", fake.Refused())
	}
	exactlyOnce(t, sent, n)
}

// TestBroadcastSurvivesKill runs the broadcast in a real channelbot process, kills it
// with SIGKILL mid-way, starts it again, and proves every dealer got exactly one
// message.
func TestBroadcastSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const n = 600
	bin := filepath.Join(t.TempDir(), "channelbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := tempDB(t)
	if _, errOut, err := runCmd(t, "", "import", "--db", db, dealerCompany(t, n)); err != nil {
		t.Fatalf("import: %v %s", err, errOut)
	}
	fake := wecomtest.NewServer(t, tCorpID, tSecret, tAgentID)
	if _, errOut, err := runCmd(t, "", "policy", "create", "--db", db, "--file", writeFile(t, "p.yaml", broadcastPolicy)); err != nil {
		t.Fatalf("policy: %v %s", err, errOut)
	}
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, "serve", "--db", db)
		cmd.Env = append(os.Environ(), "LISTEN_ADDR="+freeAddr(t), "LOG_LEVEL=warn", "OUTBOX_LEASE=2s",
			"WECOM_CORP_ID="+tCorpID, fmt.Sprintf("WECOM_AGENT_ID=%d", tAgentID), "WECOM_SECRET="+tSecret,
			"WECOM_TOKEN="+tToken, "WECOM_AES_KEY="+tAESKey, "WECOM_API_BASE="+fake.URL(),
			"WECOM_APP_RATE_PER_MINUTE=6000") // 100 a second: the kill lands mid-way
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &logs
	}
	first, _ := start()
	waitFor(t, "the broadcast to start", time.Minute, func() bool { return len(fake.Sent()) >= n/4 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	atKill := len(fake.Sent())
	if atKill >= n {
		t.Fatalf("the broadcast finished before the kill (%d sent)", atKill)
	}
	second, logs := start()
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
	}()
	waitFor(t, "the broadcast to finish after the restart", time.Minute, func() bool { return len(fake.Sent()) >= n })
	time.Sleep(3 * time.Second) // room for a duplicate to show up, past the lease
	t.Logf("killed after %d of %d; WeCom's duplicate check caught %d retries", atKill, n, fake.Duplicates())
	if len(fake.Sent()) != n {
		t.Errorf("%d deliveries for %d dealers\n%s", len(fake.Sent()), n, logs.String())
	}
	exactlyOnce(t, fake.Sent(), n)
}
