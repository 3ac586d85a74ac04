package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"channelbot/handlers"
	"channelbot/models"
)

// importDemo gives db the demo company.
func importDemo(t *testing.T, db string) {
	t.Helper()
	if _, errOut, err := runCmd(t, "", "import", "--db", db, "models/demo"); err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPolicyCLI: a policy file creates a broadcast to the dealers of its audience;
// status counts them; a bad file lists every problem and creates nothing.
func TestPolicyCLI(t *testing.T) {
	db := tempDB(t)
	importDemo(t, db)
	good := writeFile(t, "p.yaml", `products: [P01]
price_type: 出厂价
price: 39
effective: 2099-12-01
audience: {regions: [城东, 城西], tiers: [A], types: [经销商], customers: []}
text: 苹果汁1L 出厂价自12月1日起调整为39元/箱
`)
	out, errOut, err := runCmd(t, "", "policy", "create", "--db", db, "--now", "2026-11-23T09:00:00+08:00", "--file", good)
	if err != nil || !strings.Contains(out, "policy 1 created: 2 dealer users targeted") {
		t.Fatalf("create: %v %q %s", err, out, errOut)
	}
	out, _, err = runCmd(t, "", "policy", "status", "1", "--db", db, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var st models.PolicyStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status JSON %q: %v", out, err)
	}
	if st.ID != 1 || st.Targeted != 2 || st.Sent != 0 || st.Acknowledged != 0 || strings.Join(st.Missing, ",") != "C001,C002" {
		t.Errorf("status = %+v", st)
	}
	bad := writeFile(t, "bad.json", `{"products":["葡萄汁"],"price_type":"出厂价","price":"abc","effective":"2020-01-01","audience":{},"text":""}`)
	_, _, err = runCmd(t, "", "policy", "create", "--db", db, "--file", bad)
	for _, want := range []string{"葡萄汁", "不是数字", "已经过去", "发给谁", "政策内容"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad policy: error %v lacks %q", err, want)
		}
	}
	if _, _, err := runCmd(t, "", "policy", "status", "--db", db, "2"); err == nil {
		t.Error("a rejected policy was created")
	}
}

// TestPolicyInChat: a manager previews and publishes a policy in chat; the dealer
// confirms it; the manager sees who has.
func TestPolicyInChat(t *testing.T) {
	db := tempDB(t)
	now := "2026-11-23T09:00:00+08:00"
	r := chatScript(t, db,
		say{"M01", now, "发布 苹果汁 出厂价 39 12月1日起 城东 A类"},
		say{"M01", now, "确认"},
		say{"R01", now, "发布 苹果汁 出厂价 39 12月1日起 城东"},
		say{"D01", now, "收到"},
		say{"D01", now, "收到"},
		say{"M01", now, "政策 1"},
		say{"D01", now, "政策"},
		say{"D01", "2026-12-02T09:00:00+08:00", "价格 苹果汁"},
		say{"M01", now, "发布 橙汁 批发价 41 12月5日起 C001"},
		say{"M01", now, "确认"},
		say{"M01", now, "发布 苹果汁 出厂价 40 12月9日起 C001"},
		say{"M01", now, "确认"},
		say{"D01", now, "收到#2"}, // the first policy's card button, clicked late
		say{"M01", now, "政策 3"},
	)
	mustContain(t, r[0], "政策预览", "苹果汁1L 出厂价自12月1日起调整为39元/箱", "2 家客户", "1 位经销商", "确认")
	mustContain(t, r[1], "政策 #1 已发出", "1 位经销商")
	mustContain(t, r[2], "只有经理")
	mustContain(t, r[3], "已确认收到政策 #1")
	mustContain(t, r[4], "没有需要确认的政策")
	mustContain(t, r[5], "目标 1", "已确认 1", "全部已确认")
	mustContain(t, r[6], "#1", "已确认")
	mustContain(t, r[7], "苹果汁1L", "出厂价 39")
	mustContain(t, r[9], "政策 #2 已发出")
	mustContain(t, r[12], "已确认收到政策 #2", "橙汁")
	mustContain(t, r[13], "已确认 0", "未确认：张记商贸")
}

// TestDealerSeesOnlyItself: whatever a dealer asks, no other customer shows.
func TestDealerSeesOnlyItself(t *testing.T) {
	db := tempDB(t)
	now := "2026-11-23T09:00:00+08:00"
	r := chatScript(t, db,
		say{"R03", now, "盘点 李老板 苹果汁 50"},
		say{"D01", now, "查 李老板"},
		say{"D01", now, "查 C002"},
		say{"D01", now, "库存 李氏副食批发"},
		say{"D01", now, "价格 李氏副食批发"},
		say{"D01", now, "盘点 张老板 苹果汁 30"},
		say{"D01", now, "撤销"},
		say{"D01", now, "政策"},
	)
	for i, reply := range r[1:] {
		mustNotContain(t, reply, "李氏", "C002", "50箱", "本存", "张氏")
		if i != 3 && i != 6 {
			mustContain(t, reply, "经销商")
		}
	}
	if _, ok := lastCount(t, db, "C001", "P01", mustTime(t, now).Add(60)); ok {
		t.Error("a dealer's count was stored")
	}
}

// TestFloorPriceVersions: 乱价 is judged by the floor price in force on the day of
// the report, at the report's customer.
func TestFloorPriceVersions(t *testing.T) {
	db := tempDB(t)
	importDemo(t, db)
	p := writeFile(t, "floor.yaml", "products: [苹果汁]\nprice_type: 零售限价\nprice: 35\neffective: 2026-12-01\naudience: {regions: [北郊]}\ntext: 苹果汁限价下调到35元\n")
	if _, errOut, err := runCmd(t, "", "policy", "create", "--file", p, "--db", db, "--now", "2026-11-30T18:00:00+08:00"); err != nil {
		t.Fatalf("create: %v %s", err, errOut)
	}
	before := chatFull(t, db, say{"R02", "2026-11-30T09:00:00+08:00", "砸价 王记批发 苹果汁 37.5"})
	after := chatFull(t, db, say{"R02", "2026-12-02T09:00:00+08:00", "砸价 王记批发 苹果汁 37.5"})
	mustContain(t, before[0].Replies, "乱价")
	mustNotContain(t, after[0].Replies, "乱价")
	if len(after[0].Notices) != 0 {
		t.Errorf("a price above the new floor was reported to the manager: %+v", after[0].Notices)
	}
}

// TestAdminAPI: the policy API needs the bearer token; it creates and reports.
func TestAdminAPI(t *testing.T) {
	db := tempDB(t)
	importDemo(t, db)
	store, err := models.Open(context.Background(), "sqlite", db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := handlers.New(handlers.Deps{Admin: &handlers.Admin{Token: "s3cret", Status: store.StatusOf,
		Create: func(ctx context.Context, d models.PolicyDraft) (int64, int, error) {
			return createPolicy(ctx, store, d, time.UTC)
		}}})
	body := `{"products":["P02"],"price_type":"批发价","price":41,"effective":"2099-01-01","audience":{"customers":["C011"]},"text":"橙汁批发价41"}`
	call := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := call("POST", "/api/policies", "", body); rec.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", rec.Code)
	}
	if rec := call("POST", "/api/policies", "wrong", body); rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", rec.Code)
	}
	rec := call("POST", "/api/policies", "s3cret", body)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"targeted":1`) {
		t.Fatalf("create: %d %s", rec.Code, rec.Body.String())
	}
	rec = call("POST", "/api/policies", "s3cret", `{"products":["P02"],"price_type":"团购价","price":"x"}`)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "团购价") {
		t.Errorf("invalid: %d %s", rec.Code, rec.Body.String())
	}
	rec = call("GET", "/api/policies/1", "s3cret", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"targeted":1`) || !strings.Contains(rec.Body.String(), `"missing":["C011"]`) {
		t.Errorf("status: %d %s", rec.Code, rec.Body.String())
	}
	if rec := call("GET", "/api/policies/99", "s3cret", ""); rec.Code != http.StatusNotFound {
		t.Errorf("unknown policy: %d", rec.Code)
	}
	off := handlers.New(handlers.Deps{Admin: &handlers.Admin{}})
	req := httptest.NewRequest("GET", "/api/policies/1", nil)
	rr := httptest.NewRecorder()
	off.ServeHTTP(rr, req)
	if rr.Code != http.StatusNotFound {
		t.Errorf("API without a configured token answered %d, want it off (404)", rr.Code)
	}
}
