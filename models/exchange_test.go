package models

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"
)

// stockExchange is a stock count of two products and a delivery of one, with replies
// that name the report ID. The renderer records the IDs it was given in *got.
func stockExchange(platform string, msgID *string, at time.Time, got *[]int64) *Exchange {
	return &Exchange{
		In: &Message{Platform: platform, PlatformMsgID: msgID, UserID: "R01", Peer: "LiMing",
			Text: "盘点 张老板 苹果汁 100 橙汁 3箱6瓶", CreatedAt: at},
		Report: &Report{Kind: KindStockCount, UserID: "R01", CustomerID: ptr[int64](7), ReportedAt: at},
		Counts: []StockCount{
			{CustomerID: 7, ProductID: 1, Pieces: 1200},
			{CustomerID: 7, ProductID: 2, Pieces: 42},
		},
		Deliveries: []Delivery{{CustomerID: 7, ProductID: 1, Pieces: 120}},
		Replies: func(id int64) []string {
			*got = append(*got, id)
			return []string{"盘点已记录 #" + itoa(id), "建议进货：无"}
		},
	}
}

func TestSaveExchange(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 10, 10, 0, 0, 123456000, shanghai(t))
		if seen, err := s.MessageSeen(ctx, PlatformWeCom, "m1"); err != nil || seen {
			t.Fatalf("MessageSeen(m1) before saving = %v, %v, want false", seen, err)
		}
		before := tableCounts(t, s)
		var rendered []int64
		ex := stockExchange(PlatformWeCom, ptr("m1"), at, &rendered)
		if err := s.SaveExchange(ctx, ex); err != nil {
			t.Fatalf("SaveExchange: %v", err)
		}
		after := tableCounts(t, s)
		for table, want := range map[string]int64{"messages": 3, "reports": 1, "stock_counts": 2, "deliveries": 1} {
			if d := after[table] - before[table]; d != want {
				t.Errorf("SaveExchange added %d rows to %s, want %d", d, table, want)
			}
		}

		in, r := ex.In, ex.Report
		if in.ID == 0 || in.Direction != Inbound {
			t.Errorf("inbound message = %+v, want an ID and direction %q", in, Inbound)
		}
		if r.ID == 0 || r.MessageID == nil || *r.MessageID != in.ID {
			t.Errorf("report = %+v, want an ID and MessageID %d", r, in.ID)
		}
		if !slices.Equal(rendered, []int64{r.ID}) {
			t.Errorf("Replies got report IDs %v, want [%d]", rendered, r.ID)
		}

		var counts []StockCount
		if err := s.db.Where("report_id = ?", r.ID).Order("product_id").Find(&counts).Error; err != nil {
			t.Fatal(err)
		}
		if len(counts) != 2 || counts[0].Pieces != 1200 || counts[1].Pieces != 42 {
			t.Fatalf("stored counts = %+v, want 1200 and 42 pieces", counts)
		}
		for _, c := range counts {
			if c.CustomerID != 7 || !c.CountedAt.Equal(at) {
				t.Errorf("stored count %+v, want customer 7, counted at %v", c, at)
			}
		}
		var dels []Delivery
		if err := s.db.Where("report_id = ?", r.ID).Find(&dels).Error; err != nil {
			t.Fatal(err)
		}
		if len(dels) != 1 || dels[0].Pieces != 120 || !dels[0].ReceivedAt.Equal(at) {
			t.Errorf("stored deliveries = %+v, want 120 pieces received at %v", dels, at)
		}
		var stored Report
		if err := s.db.Take(&stored, r.ID).Error; err != nil {
			t.Fatal(err)
		}
		if stored.Kind != KindStockCount || stored.UserID != "R01" || stored.CustomerID == nil || *stored.CustomerID != 7 ||
			!stored.ReportedAt.Equal(at) || stored.MessageID == nil || *stored.MessageID != in.ID {
			t.Errorf("stored report = %+v", stored)
		}

		var msgs []Message
		if err := s.db.Order("id").Find(&msgs).Error; err != nil {
			t.Fatal(err)
		}
		wantTexts := []string{in.Text, "盘点已记录 #" + itoa(r.ID), "建议进货：无"}
		if len(msgs) != 3 {
			t.Fatalf("stored %d messages, want 3", len(msgs))
		}
		if m := msgs[0]; m.ID != in.ID || m.Direction != Inbound || m.PlatformMsgID == nil || *m.PlatformMsgID != "m1" ||
			!m.CreatedAt.Equal(at) || m.ReplyTo != nil {
			t.Errorf("stored inbound message = %+v", m)
		}
		if len(ex.Out) != 2 {
			t.Fatalf("ex.Out has %d replies, want 2", len(ex.Out))
		}
		for i, m := range msgs {
			if m.Text != wantTexts[i] {
				t.Errorf("message %d text = %q, want %q", i, m.Text, wantTexts[i])
			}
			if i == 0 {
				continue
			}
			if m.Direction != Outbound || m.Platform != PlatformWeCom || m.Peer != "LiMing" || m.UserID != "R01" ||
				m.ReplyTo == nil || *m.ReplyTo != in.ID || m.PlatformMsgID != nil || m.ID != ex.Out[i-1].ID {
				t.Errorf("stored reply %d = %+v, want an outbound reply to %d as in ex.Out", i, m, in.ID)
			}
		}

		// Stored in UTC: a range query with UTC bounds finds every row. (SQLite compares
		// times as text, so a row stored with +08:00 would fall outside.)
		lo, hi := at.Add(-time.Second).UTC(), at.Add(time.Second).UTC()
		for _, c := range []struct {
			model  any
			column string
			want   int64
		}{
			{&Message{}, "created_at", 1}, // the replies carry the store's clock
			{&Report{}, "reported_at", 1},
			{&StockCount{}, "counted_at", 2},
			{&Delivery{}, "received_at", 1},
		} {
			var n int64
			if err := s.db.Model(c.model).Where(c.column+" >= ? AND "+c.column+" <= ?", lo, hi).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != c.want {
				t.Errorf("%T rows with %s within a second of %v (UTC bounds) = %d, want %d", c.model, c.column, at, n, c.want)
			}
		}

		if seen, err := s.MessageSeen(ctx, PlatformWeCom, "m1"); err != nil || !seen {
			t.Errorf("MessageSeen(wecom, m1) after saving = %v, %v, want true", seen, err)
		}
		if seen, err := s.MessageSeen(ctx, PlatformFeishu, "m1"); err != nil || seen {
			t.Errorf("MessageSeen(feishu, m1) = %v, %v, want false", seen, err)
		}
	})
}

func TestSaveExchangeNoReport(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var got []int64
		ex := &Exchange{
			In:      &Message{Platform: PlatformFeishu, PlatformMsgID: ptr("om_1"), Peer: "ou_x", Text: "你好"},
			Replies: func(id int64) []string { got = append(got, id); return []string{"您还没有登记"} },
		}
		if err := s.SaveExchange(ctx, ex); err != nil {
			t.Fatalf("SaveExchange: %v", err)
		}
		if !slices.Equal(got, []int64{0}) {
			t.Errorf("Replies got report IDs %v, want [0]", got)
		}
		if len(ex.Out) != 1 || ex.Out[0].ID == 0 {
			t.Errorf("ex.Out = %+v, want one stored reply", ex.Out)
		}
		if ex.In.CreatedAt.IsZero() {
			t.Error("inbound CreatedAt is zero, want the store's clock")
		}
		c := tableCounts(t, s)
		if c["messages"] != 2 || c["reports"] != 0 {
			t.Errorf("tables = %v, want 2 messages and no report", c)
		}

		// No renderer: the message alone.
		ex = &Exchange{In: &Message{Platform: PlatformFeishu, PlatformMsgID: ptr("om_2"), Text: "?"}}
		if err := s.SaveExchange(ctx, ex); err != nil {
			t.Fatalf("SaveExchange without replies: %v", err)
		}
		if len(ex.Out) != 0 {
			t.Errorf("ex.Out = %+v, want none", ex.Out)
		}
		if c := tableCounts(t, s); c["messages"] != 3 {
			t.Errorf("tables = %v, want 3 messages", c)
		}
	})
}

func TestSaveExchangeDuplicate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		firstPlatform string
		firstID       *string
		platform      string
		id            *string
		wantDuplicate bool
	}{
		{"same platform and ID", PlatformWeCom, ptr("dup-1"), PlatformWeCom, ptr("dup-1"), true},
		{"same ID on another platform", PlatformWeCom, ptr("dup-2"), PlatformFeishu, ptr("dup-2"), false},
		{"another ID", PlatformWeCom, ptr("dup-3"), PlatformWeCom, ptr("dup-3b"), false},
		{"no IDs", PlatformConsole, nil, PlatformConsole, nil, false},
	}
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 10, 10, 0, 0, 0, shanghai(t))
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var rendered []int64
				if err := s.SaveExchange(ctx, stockExchange(tt.firstPlatform, tt.firstID, at, &rendered)); err != nil {
					t.Fatalf("first SaveExchange: %v", err)
				}
				before := tableCounts(t, s)
				err := s.SaveExchange(ctx, stockExchange(tt.platform, tt.id, at.Add(time.Minute), &rendered))
				after := tableCounts(t, s)
				if !tt.wantDuplicate {
					if err != nil {
						t.Fatalf("second SaveExchange = %v, want nil", err)
					}
					if after["messages"] != before["messages"]+3 || after["reports"] != before["reports"]+1 {
						t.Errorf("second exchange stored %v → %v, want a message, 2 replies and a report more", before, after)
					}
					return
				}
				if !errors.Is(err, ErrDuplicate) {
					t.Fatalf("second SaveExchange = %v, want ErrDuplicate", err)
				}
				if !maps.Equal(before, after) {
					t.Errorf("a duplicate changed the tables: %v → %v, want nothing stored", before, after)
				}
			})
		}
	})
}

// TestSaveExchangeAtomic makes a write fail after the inbound message and the report
// were inserted: nothing may stay, and the message must not count as seen, so that the
// platform's retry is handled.
func TestSaveExchangeAtomic(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		at := time.Date(2026, 11, 10, 10, 0, 0, 0, shanghai(t))
		var rendered []int64
		first := stockExchange(PlatformWeCom, ptr("ok"), at, &rendered)
		if err := s.SaveExchange(ctx, first); err != nil {
			t.Fatal(err)
		}
		// Record the tables written to, to show the failure came after the inbound message
		// and the report were inserted, so that only the rollback can have removed them.
		var inserted []string
		err := s.db.Callback().Create().After("gorm:create").Register("test:inserted", func(db *gorm.DB) {
			if db.Error == nil {
				inserted = append(inserted, db.Statement.Table)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			spoil func(ex *Exchange, cancel context.CancelFunc)
		}{
			{"delivery line rejected", func(ex *Exchange, _ context.CancelFunc) {
				ex.Deliveries[0].ID = first.Deliveries[0].ID // primary key taken
			}},
			{"count line rejected", func(ex *Exchange, _ context.CancelFunc) {
				ex.Counts[1].ID = first.Counts[0].ID
			}},
			{"context cancelled while rendering", func(ex *Exchange, cancel context.CancelFunc) {
				render := ex.Replies
				ex.Replies = func(id int64) []string { cancel(); return render(id) }
			}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				msgID := "broken-" + itoa(int64(i))
				ex := stockExchange(PlatformWeCom, ptr(msgID), at.Add(time.Hour), &rendered)
				tt.spoil(ex, cancel)
				before := tableCounts(t, s)
				inserted = nil
				err := s.SaveExchange(ctx, ex)
				if err == nil || errors.Is(err, ErrDuplicate) {
					t.Fatalf("SaveExchange = %v, want an error other than ErrDuplicate", err)
				}
				if !slices.Contains(inserted, "messages") || !slices.Contains(inserted, "reports") {
					t.Fatalf("SaveExchange failed after inserting into %v, want after messages and reports", inserted)
				}
				if after := tableCounts(t, s); !maps.Equal(before, after) {
					t.Errorf("a failed exchange changed the tables: %v → %v", before, after)
				}
				if seen, err := s.MessageSeen(context.Background(), PlatformWeCom, msgID); err != nil || seen {
					t.Errorf("MessageSeen(%s) after a failed save = %v, %v, want false", msgID, seen, err)
				}
			})
		}
	})
}
