//go:build chaos

package main

// The fault suite (issue 13 §5; README "Fault suite"): real `channelbot serve`
// processes, two replicas on one PostgreSQL schema and one Redis, a fake WeCom
// driven with load, and one fault per scenario. Every scenario checks the intake
// contract end to end: each message answered 200 has exactly one stored row, one
// report and one delivered reply; nothing is lost, nothing doubled.
//
//	go test -tags chaos -count=1 -run '^TestFault' -v .
//
// PostgreSQL and Redis are the shared test servers (TEST_DATABASE_URL,
// TEST_REDIS_URL); they are never stopped. The replicas reach them through
// chaos.Proxy, which takes them away as a restart would.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for counting

	"channelbot/bot/feishu/feishutest"
	"channelbot/bot/wecom"
	"channelbot/bot/wecom/wecomtest"
	"channelbot/internal/chaos"
	"channelbot/models/modelstest"
)

// The load of one scenario: faultReps reps send faultPerRep counts each, each to
// a customer of their own, so that every message makes one report and one reply
// that names the customer.
const (
	faultReps    = 60
	faultPerRep  = 5                     // 300 messages a scenario
	faultPace    = 40 * time.Millisecond // a new message every 40 ms: 12 s of load
	faultSettle  = 2 * time.Minute       // the most to wait for the last reply
	faultQuiet   = 3 * time.Second       // after it, room for a late duplicate
	faultRetryP  = 0.15                  // share of accepted messages the platform sends again anyway
	wecomTimeout = 5 * time.Second       // WeCom drops a callback not answered in 5 s
)

// wecomRetryAfter is when WeCom tries a callback again after a failed attempt:
// the first try and three retries (platforms.md §1.5), on a compressed clock.
var wecomRetryAfter = []time.Duration{0, time.Second, 2 * time.Second, 3 * time.Second}

// faultScenario is one fault injected while the load runs.
type faultScenario struct {
	name  string
	proof string // what the scenario proves, for the summary
	// race sends every attempt to both replicas at once, twice.
	race bool
	// feishu drives Feishu (signed, encrypted events) instead of WeCom.
	feishu bool
	// fault runs alongside the load, from its start; the load ends when both
	// the messages and fault are done.
	fault func(e *faultEnv)
	// check, if set, asserts that the fault really happened.
	check func(t *testing.T, e *faultEnv)
}

// faultCounts is one line of the fault table.
type faultCounts struct {
	scenario                    string
	sent, accepted, stored      int
	recorded, replied           int
	duplicates, lost, absorbed  int
	posts, answered200, refused int
	took                        time.Duration
}

func (c faultCounts) String() string {
	return fmt.Sprintf("%-9s %5d %8d %6d %8d %7d %10d %4d %8d %6d %7d %5.0fs",
		c.scenario, c.sent, c.accepted, c.stored, c.recorded, c.replied, c.duplicates, c.lost, c.absorbed,
		c.posts, c.refused, c.took.Seconds())
}

const faultHeader = "scenario   sent accepted stored recorded replied duplicates lost absorbed  posts non200  took"

// TestFault runs every scenario in turn and prints the fault table.
func TestFault(t *testing.T) {
	modelstest.Env(t, "TEST_DATABASE_URL")
	modelstest.Env(t, "TEST_REDIS_URL")
	bin := filepath.Join(t.TempDir(), "channelbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	company := faultCompany(t)

	var table []faultCounts
	for _, sc := range faultScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			c := runFault(t, bin, company, sc)
			table = append(table, c)
		})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fault table (sent: distinct MsgIds; accepted: answered 200 at least once; stored/recorded/replied: accepted messages with their row, report, delivered reply; duplicates: extra reports or deliveries; lost: accepted and missing any; absorbed: resends the platform's duplicate check dropped, WeCom's duplicate_check_interval or Feishu's uuid)\n%s\n", faultHeader)
	for _, c := range table {
		b.WriteString(c.String() + "\n")
	}
	t.Log(b.String())
}

func faultScenarios() []faultScenario {
	after := func(d time.Duration) { time.Sleep(d) }
	return []faultScenario{{
		name: "kill",
		proof: "SIGKILL of each replica mid-load, with sends in flight (each takes 300 ms), restarted 2 s later: " +
			"its leased inbox and outbox work is taken over when the lease ends, a resend is dropped by WeCom's duplicate check",
		fault: func(e *faultEnv) {
			e.api.slowDown(300 * time.Millisecond)
			after(3 * time.Second)
			e.kill(1)
			after(2 * time.Second)
			e.start(1)
			after(3 * time.Second)
			e.kill(0)
			after(2 * time.Second)
			e.start(0)
		},
	}, {
		name:  "redis",
		proof: "Redis cut for 5 s mid-load: intake goes on, deduplicated by the database",
		fault: func(e *faultEnv) {
			after(3 * time.Second)
			e.redis.Outage(5 * time.Second)
		},
		check: func(t *testing.T, e *faultEnv) {
			if e.redis.Cuts() == 0 {
				t.Error("the Redis outage cut no connection")
			}
		},
	}, {
		name:  "postgres",
		proof: "PostgreSQL cut for 4 s mid-load (a restart): callbacks answered 503 are retried, none answered 200 is lost",
		fault: func(e *faultEnv) {
			after(4 * time.Second)
			e.pg.Outage(4 * time.Second)
		},
		check: func(t *testing.T, e *faultEnv) {
			if e.pg.Cuts() == 0 {
				t.Error("the PostgreSQL outage cut no connection")
			}
		},
	}, {
		name:  "race",
		proof: "every callback to both replicas at once, twice, and PostgreSQL cut for 2 s: one row, one report, one reply each",
		race:  true,
		fault: func(e *faultEnv) {
			after(5 * time.Second)
			e.pg.Outage(2 * time.Second)
		},
	}, {
		name: "api",
		proof: "the WeCom API fails: HTTP 502, expired tokens, -1 busy, answers lost after delivery, " +
			"answers after 20 s (a timeout), a failing gettoken, 45009: every reply delivered once",
		fault: func(e *faultEnv) {
			after(time.Second)
			e.fake.FailNextHTTP(http.StatusBadGateway, 10)
			after(1500 * time.Millisecond)
			e.fake.ExpireTokens()
			after(1500 * time.Millisecond)
			e.fake.FailNext(-1, 5)
			after(1500 * time.Millisecond)
			e.fake.LoseNextReplies(5)
			after(1500 * time.Millisecond)
			e.api.hold(3, 20*time.Second)
			after(1500 * time.Millisecond)
			e.fake.ExpireTokens()
			e.fake.FailNextToken(-1, 2)
			after(1500 * time.Millisecond)
			e.fake.FailNext(45009, 2) // a 60 s pause for the whole app
		},
		check: func(t *testing.T, e *faultEnv) {
			if e.fake.Duplicates() == 0 {
				t.Error("no resend reached WeCom's duplicate check: the lost answers and timeouts did not happen")
			}
			if e.api.held.Load() == 0 {
				t.Error("no send was held past the timeout")
			}
		},
	}, {
		name: "feishu",
		proof: "Feishu events, each to both replicas at once, twice; PostgreSQL cut for 2 s; the API answers HTTP 500, " +
			"expired tokens and 429 (x-ogw-ratelimit-reset): one row, one report, one reply each",
		feishu: true,
		race:   true,
		fault: func(e *faultEnv) {
			after(2 * time.Second)
			e.lark.FailNextHTTP(http.StatusInternalServerError, 5)
			after(2 * time.Second)
			e.lark.ExpireTokens()
			after(time.Second)
			e.pg.Outage(2 * time.Second)
			after(2 * time.Second)
			e.lark.RateLimitNext(3, 2)
		},
		check: func(t *testing.T, e *faultEnv) {
			if e.pg.Cuts() == 0 {
				t.Error("the PostgreSQL outage cut no connection")
			}
		},
	}}
}

// faultMsg is one message of the load: a count from user at customer.
type faultMsg struct {
	msgID    string // the platform message ID as stored (messages.platform_msg_id)
	user     string // the user ID on the platform: a WeCom userid or a Feishu open_id
	customer string
	target   string // path and query of the callback
	body     []byte
	header   http.Header

	accepted atomic.Bool
}

// faultEnv is one scenario's world: the fake platform, the proxies and the
// replicas.
type faultEnv struct {
	t        *testing.T
	bin      string
	dsn      string // the scenario's schema, direct
	pg       *chaos.Proxy
	redis    *chaos.Proxy
	fake     *wecomtest.Server
	api      *apiFront
	lark     *feishutest.Server
	feishu   bool // the load is Feishu's
	replicas []*faultReplica
	replEnv  []string
	client   *http.Client

	posts, answered200, refused atomic.Int64

	codesMu sync.Mutex
	codes   map[int]int // answers other than 200, by status; 0: no answer
}

// answered records a callback answer other than 200.
func (e *faultEnv) answered(code int) {
	e.refused.Add(1)
	e.codesMu.Lock()
	defer e.codesMu.Unlock()
	if e.codes == nil {
		e.codes = map[int]int{}
	}
	e.codes[code]++
}

// faultReplica is one `channelbot serve` process.
type faultReplica struct {
	name, addr, log string
	mu              sync.Mutex
	cmd             *exec.Cmd
}

func runFault(t *testing.T, bin, company string, sc faultScenario) faultCounts {
	began := time.Now()
	e := newFaultEnv(t, bin, company)
	e.feishu = sc.feishu
	msgs := e.messages()

	var wg sync.WaitGroup
	wg.Go(func() { sc.fault(e) })
	for i, m := range msgs {
		time.Sleep(faultPace)
		wg.Go(func() { e.deliver(m, i%2, sc.race) })
	}
	wg.Wait()
	e.settle(msgs)
	c := e.count(msgs)
	c.scenario, c.took = sc.name, time.Since(began)
	t.Logf("%s\n%s\nanswers other than 200, by status (0: none): %v", faultHeader, c, e.codes)
	if sc.check != nil {
		sc.check(t, e)
	}
	if c.accepted < len(msgs)/2 {
		t.Errorf("only %d of %d messages accepted: the scenario proves little", c.accepted, len(msgs))
	}
	if c.lost != 0 || c.duplicates != 0 {
		t.Errorf("%s: %d lost, %d duplicates (%s)", sc.name, c.lost, c.duplicates, sc.proof)
	}
	return c
}

func newFaultEnv(t *testing.T, bin, company string) *faultEnv {
	e := &faultEnv{t: t, bin: bin, client: &http.Client{Timeout: wecomTimeout}}
	e.dsn = modelstest.PostgresDSN(t)
	pgURL, err := url.Parse(e.dsn)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL is not a URL: %v", err)
	}
	e.pg = chaos.Start(t, pgURL.Host)
	pgURL.Host = e.pg.Addr()
	redisURL, err := url.Parse(modelstest.RedisURL(t))
	if err != nil {
		t.Fatalf("TEST_REDIS_URL is not a URL: %v", err)
	}
	e.redis = chaos.Start(t, redisURL.Host)
	redisURL.Host = e.redis.Addr()

	if out, err := exec.Command(bin, "import", "--db", e.dsn, company).CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	e.fake = wecomtest.NewServer(t, tCorpID, tSecret, tAgentID)
	e.api = newAPIFront(t, e.fake.URL())
	e.lark = feishutest.NewServer(t, fAppID, fSecret)
	e.replEnv = []string{
		"DATABASE_URL=" + pgURL.String(),
		"REDIS_URL=" + redisURL.String(),
		"STATE_PREFIX=fault-" + rand.Text()[:10],
		"MAX_REPLICAS=2", "LOG_LEVEL=warn", "LOG_FORMAT=text",
		"JOBS_ENABLED=false", "BOT_CORRECTION_WINDOW=0",
		// Longer than a send may take (15 s), so a slow send is not taken over.
		"OUTBOX_LEASE=20s",
		"WECOM_CORP_ID=" + tCorpID, fmt.Sprintf("WECOM_AGENT_ID=%d", tAgentID), "WECOM_SECRET=" + tSecret,
		"WECOM_TOKEN=" + tToken, "WECOM_AES_KEY=" + tAESKey, "WECOM_API_BASE=" + e.api.srv.URL,
		"FEISHU_APP_ID=" + fAppID, "FEISHU_APP_SECRET=" + fSecret, "FEISHU_VERIFICATION_TOKEN=" + fToken,
		"FEISHU_ENCRYPT_KEY=" + fKey, "FEISHU_API_BASE=" + e.lark.URL(),
	}
	// FAULT_LOGS=DIR keeps the replicas' logs there, one file per scenario and replica.
	dir := os.Getenv("FAULT_LOGS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		e.replicas = append(e.replicas, &faultReplica{name: fmt.Sprintf("replica%d", i), addr: freeAddr(t),
			log: filepath.Join(dir, fmt.Sprintf("%s-replica%d.log", strings.ReplaceAll(t.Name(), "/", "-"), i))})
		e.start(i)
	}
	t.Cleanup(func() {
		for i := range e.replicas {
			e.stop(i)
		}
		if t.Failed() {
			for _, r := range e.replicas {
				b, _ := os.ReadFile(r.log)
				t.Logf("%s log (last 4 KB):\n%s", r.name, tail(b, 4096))
			}
		}
	})
	return e
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// start starts replica i (again) and waits for it to answer /healthz.
func (e *faultEnv) start(i int) {
	r := e.replicas[i]
	f, err := os.OpenFile(r.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		e.t.Error(err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "--- start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(e.bin, "serve", "--no-demo")
	cmd.Env = append(os.Environ(), append([]string{"LISTEN_ADDR=" + r.addr}, e.replEnv...)...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		e.t.Error(err)
		return
	}
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()
	for range 400 {
		if resp, err := http.Get("http://" + r.addr + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	e.t.Errorf("%s did not start", r.name)
}

// kill ends replica i with SIGKILL: no shutdown, leases left behind.
func (e *faultEnv) kill(i int) {
	r := e.replicas[i]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
	r.cmd = nil
}

// stop ends replica i with SIGTERM, or SIGKILL if it does not stop in time.
func (e *faultEnv) stop(i int) {
	r := e.replicas[i]
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
	r.cmd = nil
}

// messages makes the load: one count per customer, rep by rep in turn, so that
// one rep's messages are seconds apart.
func (e *faultEnv) messages() []*faultMsg {
	crypto := wecom.Crypto{Token: tToken, AESKey: tAESKey, CorpID: tCorpID}
	base := time.Now().UnixMilli() % 1_000_000_000 * 1000
	var msgs []*faultMsg
	for c := range faultPerRep {
		for r := range faultReps {
			i := r*faultPerRep + c
			m := &faultMsg{customer: faultCustomer(i)}
			text := fmt.Sprintf("盘点 %s 苹果汁 %d", m.customer, 10+c)
			if e.feishu {
				ev := &feishutest.Msg{AppID: fAppID, Token: fToken, From: fmt.Sprintf("ou_rep%03d", r), Content: feishutest.Text(text)}
				req := feishutest.Request(e.t, "/feishu/events", ev.JSON(), fKey)
				m.msgID, m.user, m.target, m.header = ev.MessageID, ev.From, req.URL.RequestURI(), req.Header
				m.body, _ = io.ReadAll(req.Body)
			} else {
				id := fmt.Sprint(base + int64(len(msgs)))
				m.msgID, m.user = "msg:"+id, fmt.Sprintf("rep%03d", r) // wecom.Message.DedupKey
				now := time.Now().Unix()
				xml := fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName>`+
					`<CreateTime>%d</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content>`+
					`<MsgId>%s</MsgId><AgentID>%d</AgentID></xml>`, tCorpID, m.user, now, text, id, tAgentID)
				sealed, err := crypto.Seal([]byte(xml), fmt.Sprint(now), rand.Text()[:10])
				if err != nil {
					e.t.Fatal(err)
				}
				req := wecomtest.CallbackRequest(e.t, "/wecom/callback", sealed)
				m.target, m.header, m.body = req.URL.RequestURI(), req.Header, sealed
			}
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// post delivers m's callback to replica i and returns the HTTP status, 0 when
// there was no answer (refused, cut, or over WeCom's 5 s).
func (e *faultEnv) post(m *faultMsg, i int) int {
	e.posts.Add(1)
	req, err := http.NewRequest(http.MethodPost, "http://"+e.replicas[i].addr+m.target, bytes.NewReader(m.body))
	if err != nil {
		e.t.Error(err)
		return 0
	}
	req.Header = m.header.Clone()
	resp, err := e.client.Do(req)
	if err != nil {
		e.answered(0)
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.answered(resp.StatusCode)
		return resp.StatusCode
	}
	e.answered200.Add(1)
	m.accepted.Store(true)
	return resp.StatusCode
}

// deliver is WeCom delivering m: the first try and up to three retries until one
// is answered 200, alternating replicas from first (the load balancer's pick).
// Some accepted messages are delivered once more anyway, as WeCom does when the
// 200 came late. With race, every try goes to both replicas at once, twice.
func (e *faultEnv) deliver(m *faultMsg, first int, race bool) {
	for k, wait := range wecomRetryAfter {
		time.Sleep(wait)
		if race {
			for range 2 {
				var wg sync.WaitGroup
				start := make(chan struct{})
				for i := range e.replicas {
					wg.Go(func() { <-start; e.post(m, i) })
				}
				close(start)
				wg.Wait()
			}
		} else {
			e.post(m, (first+k)%len(e.replicas))
		}
		if m.accepted.Load() {
			break
		}
	}
	if m.accepted.Load() && mrand.Float64() < faultRetryP {
		time.Sleep(time.Duration(mrand.IntN(500)) * time.Millisecond)
		e.post(m, (first+1)%len(e.replicas))
	}
}

// settle waits until every accepted message has its reply and nothing is queued or
// pending, then a little more for a late duplicate to show.
func (e *faultEnv) settle(msgs []*faultMsg) {
	db := e.open()
	defer db.Close()
	deadline := time.Now().Add(faultSettle)
	for time.Now().Before(deadline) {
		var queued, pending int
		err := db.QueryRow(`SELECT count(*) FILTER (WHERE direction = 'in' AND status = 'queued'),
			count(*) FILTER (WHERE direction = 'out' AND status = 'pending') FROM messages`).Scan(&queued, &pending)
		if err == nil && queued == 0 && pending == 0 {
			replied := e.replies(msgs)
			missing := 0
			for _, m := range msgs {
				if m.accepted.Load() && replied[m.customer] == 0 {
					missing++
				}
			}
			if missing == 0 {
				break
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(faultQuiet)
}

func (e *faultEnv) open() *sql.DB {
	db, err := sql.Open("pgx", e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	return db
}

// replies counts the replies the fake delivered, by the customer they name (each
// message's customer is its own); a reply to the wrong user counts for nobody.
func (e *faultEnv) replies(msgs []*faultMsg) map[string]int {
	owner := make(map[string]string, len(msgs))
	for _, m := range msgs {
		owner[m.customer] = m.user
	}
	n := map[string]int{}
	for _, d := range e.delivered() {
		if cust, ok := repliedCustomer(d.text); ok && owner[cust] == d.to {
			n[cust]++
		} else {
			n[""]++
		}
	}
	return n
}

// delivery is a message the fake platform delivered: to whom, and its text.
type delivery struct{ to, text string }

// delivered lists what the scenario's platform delivered.
func (e *faultEnv) delivered() []delivery {
	var out []delivery
	if e.feishu {
		for _, s := range e.lark.Sent() {
			out = append(out, delivery{s.To, s.Title + "\n" + s.Text})
		}
		return out
	}
	for _, s := range e.fake.Sent() {
		out = append(out, delivery{s.To, s.Content})
	}
	return out
}

// absorbed counts resends the platform's duplicate check dropped (WeCom's
// duplicate_check_interval, Feishu's uuid).
func (e *faultEnv) absorbed() int {
	if e.feishu {
		return e.lark.Duplicates()
	}
	return e.fake.Duplicates()
}

// repliedCustomer reads the customer from a count's receipt, the line
// "✅ 盘点已记录 #12 · 金华商行".
func repliedCustomer(text string) (string, bool) {
	for line := range strings.Lines(text) {
		if strings.Contains(line, "盘点已记录") {
			_, cust, ok := strings.Cut(line, " · ")
			return strings.TrimSpace(cust), ok
		}
	}
	return "", false
}

// count builds the scenario's line of the fault table from the database and the
// fake platform, and reports each lost or doubled message.
func (e *faultEnv) count(msgs []*faultMsg) faultCounts {
	t := e.t
	db := e.open()
	defer db.Close()
	perMsg := func(q string) map[string]int {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		defer rows.Close()
		n := map[string]int{}
		for rows.Next() {
			var id sql.NullString
			var c int
			if err := rows.Scan(&id, &c); err != nil {
				t.Fatal(err)
			}
			n[id.String] = c
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	stored := perMsg(`SELECT platform_msg_id, count(*) FROM messages WHERE direction = 'in' GROUP BY 1`)
	reports := perMsg(`SELECT m.platform_msg_id, count(r.id) FROM reports r JOIN messages m ON m.id = r.message_id
		WHERE r.deleted_at IS NULL GROUP BY 1`)
	replied := e.replies(msgs)

	c := faultCounts{sent: len(msgs), absorbed: e.absorbed(),
		posts: int(e.posts.Load()), answered200: int(e.answered200.Load()), refused: int(e.refused.Load())}
	var problems []string
	for _, m := range msgs {
		s, r, p := stored[m.msgID], reports[m.msgID], replied[m.customer]
		c.duplicates += max(s-1, 0) + max(r-1, 0) + max(p-1, 0)
		if s > 1 || r > 1 || p > 1 {
			problems = append(problems, fmt.Sprintf("MsgId %s (%s, %s): %d rows, %d reports, %d replies", m.msgID, m.user, m.customer, s, r, p))
		}
		if !m.accepted.Load() {
			continue
		}
		c.accepted++
		if s > 0 {
			c.stored++
		}
		if r > 0 {
			c.recorded++
		}
		if p > 0 {
			c.replied++
		}
		if s == 0 || r == 0 || p == 0 {
			c.lost++
			problems = append(problems, fmt.Sprintf("MsgId %s (%s, %s) answered 200: %d rows, %d reports, %d replies", m.msgID, m.user, m.customer, s, r, p))
		}
	}
	if other := replied[""]; other > 0 {
		var texts []string
		for _, d := range e.delivered() {
			if _, ok := repliedCustomer(d.text); !ok && len(texts) < 3 {
				texts = append(texts, fmt.Sprintf("%s: %q", d.to, d.text))
			}
		}
		t.Logf("%d deliveries that are no message's receipt, such as %s", other, strings.Join(texts, "; "))
	}
	if len(problems) > 0 {
		t.Logf("%d problems:\n%s", len(problems), strings.Join(problems[:min(len(problems), 30)], "\n"))
	}
	return c
}

// apiFront stands before the fake WeCom API and can hold sends past the bot's
// timeout, then deliver them anyway: the platform answered late.
type apiFront struct {
	srv   *httptest.Server
	mu    sync.Mutex
	n     int
	delay time.Duration
	slow  time.Duration
	held  atomic.Int64
}

func newAPIFront(t *testing.T, target string) *apiFront {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	a := &apiFront{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		// The fake dropped the connection (LoseNextReplies): so do we.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := a.take(r); d > 0 {
			time.Sleep(d)
			r = r.WithContext(context.WithoutCancel(r.Context())) // the bot has gone; deliver anyway
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// hold makes the next n sends wait d before they reach the fake.
func (a *apiFront) hold(n int, d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.n, a.delay = n, d
}

// slowDown makes every send take d, so that a replica killed at any moment has
// sends in flight: they reach the fake all the same.
func (a *apiFront) slowDown(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.slow = d
}

func (a *apiFront) take(r *http.Request) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.URL.Path != "/cgi-bin/message/send" {
		return 0
	}
	if a.n == 0 {
		return a.slow
	}
	a.n--
	a.held.Add(1)
	return a.delay
}

// faultCompany writes the load's company for import: faultReps reps (rep000 …
// on WeCom), each owning faultPerRep customers with names of their own.
func faultCompany(t *testing.T) string {
	dir := t.TempDir()
	var cs, us strings.Builder
	cs.WriteString("code,name,aliases,type,tier,region,owner,visit_days\n")
	us.WriteString("id,name,role,manager,wecom_userid,feishu_open_id,customer,region,phone\n")
	for r := range faultReps {
		fmt.Fprintf(&us, "R%03d,代表%d,rep,,rep%03d,ou_rep%03d,,城东,\n", r, r, r, r)
		for c := range faultPerRep {
			i := r*faultPerRep + c
			fmt.Fprintf(&cs, "K%04d,%s,,经销商,A,城东,R%03d,10|25\n", i, faultCustomer(i), r)
		}
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

// faultCustomer is customer i's name: two characters of its own and 商行, with no
// digit the parser could take for a quantity.
func faultCustomer(i int) string {
	a := []rune("金银铜铁锡东西南北中春夏秋冬风云雷雨山川")
	b := []rune("华盛隆泰丰源达兴旺和安康顺福祥瑞")
	return string(a[i/len(b)]) + string(b[i%len(b)]) + "商行"
}
