package models

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"gorm.io/gorm"
)

// openSQLiteFreshStore returns an unmigrated SQLite store in a file of the test's own.
func openSQLiteFreshStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), "sqlite", filepath.Join(t.TempDir(), "test.db"), nil, nil)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() }) // runs before the temporary directory is removed
	return s
}

// openPostgresFreshStore returns an unmigrated store on PostgreSQL, in a schema of its own.
func openPostgresFreshStore(t testing.TB) *Store {
	t.Helper()
	return openPostgresTestStoreAt(t, postgresTestDSN(t))
}

// forEachFreshStore is like forEachStore (in importer_test.go), but on stores not yet
// migrated, and runs its subtests "sqlite" and "postgres" in parallel.
func forEachFreshStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, d := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", openSQLiteFreshStore}, {"postgres", openPostgresFreshStore}} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.open(t))
		})
	}
}

func shanghai(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func ptr[T any](v T) *T { return &v }

// migrationFileNames lists the embedded migration files of a dialect.
func migrationFileNames(t testing.TB, dialect string) []string {
	t.Helper()
	names, err := fs.Glob(migrationFiles, path.Join("migrations", dialect, "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		names[i] = path.Base(n)
	}
	sort.Strings(names)
	return names
}

// tableCounts counts the rows of every table, soft-deleted ones included.
func tableCounts(t testing.TB, s *Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, m := range append(AllModels(), &schemaMigration{}) {
		stmt := &gorm.Statement{DB: s.db}
		if err := stmt.Parse(m); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := s.db.Unscoped().Model(m).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", stmt.Schema.Table, err)
		}
		out[stmt.Schema.Table] = n
	}
	return out
}

func TestMigrationFilesMatchAcrossDialects(t *testing.T) {
	t.Parallel()
	lite, pg := migrationFileNames(t, "sqlite"), migrationFileNames(t, "postgres")
	if len(lite) == 0 {
		t.Fatal("no migrations")
	}
	if !slices.Equal(lite, pg) {
		t.Errorf("migrations differ between dialects:\nsqlite   %q\npostgres %q", lite, pg)
	}
	for _, d := range []string{"sqlite", "postgres"} {
		migs, err := loadMigrations(d)
		if err != nil {
			t.Fatalf("loadMigrations(%s): %v", d, err)
		}
		for _, m := range migs {
			if len(splitSQL(m.sql)) == 0 {
				t.Errorf("%s migration %d %s has no statements", d, m.version, m.name)
			}
		}
	}
}

func TestSplitSQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"comments only", "-- nothing\n  -- here\n", nil},
		{"one per line", "CREATE TABLE a (x INT);\nCREATE INDEX a_x ON a (x);\n",
			[]string{"CREATE TABLE a (x INT);", "CREATE INDEX a_x ON a (x);"}},
		{"multi-line with comments and blanks", "-- head\nCREATE TABLE a (\n    x INT,\n\n    -- why\n    y INT\n);\n",
			[]string{"CREATE TABLE a (\n    x INT,\n    y INT\n);"}},
		{"no final semicolon", "UPDATE a SET x = 1", []string{"UPDATE a SET x = 1"}},
		{"semicolon mid-line", "INSERT INTO a VALUES ('x;y');\n", []string{"INSERT INTO a VALUES ('x;y');"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitSQL(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("splitSQL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	forEachFreshStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		files := len(migrationFileNames(t, s.Dialect()))
		if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
			t.Fatalf("SchemaVersion() on a fresh database = %d, %v, want 0", v, err)
		}
		n, err := s.Migrate(ctx)
		if err != nil || n != files {
			t.Fatalf("first Migrate() = %d, %v, want %d (every file)", n, err, files)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != files {
			t.Errorf("SchemaVersion() = %d, %v, want %d", v, err, files)
		}
		if n, err := s.Migrate(ctx); err != nil || n != 0 {
			t.Errorf("second Migrate() = %d, %v, want 0", n, err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != files {
			t.Errorf("SchemaVersion() after the second Migrate = %d, %v, want %d", v, err, files)
		}
		var applied []schemaMigration
		if err := s.db.Order("version").Find(&applied).Error; err != nil {
			t.Fatal(err)
		}
		if len(applied) != files {
			t.Fatalf("schema_migrations has %d rows, want %d", len(applied), files)
		}
		for i, m := range applied {
			if m.Version != i+1 || m.Name == "" || m.AppliedAt.IsZero() {
				t.Errorf("schema_migrations row %d = %+v, want version %d with a name and a time", i, m, i+1)
			}
		}
	})
}

// TestSchemaMatchesModels checks the migrated schema against the GORM models both
// ways: every model field has its column, every column its field, every table its model.
func TestSchemaMatchesModels(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		mig := s.db.Migrator()
		tables := map[string]bool{"schema_migrations": true}
		for _, m := range AllModels() {
			stmt := &gorm.Statement{DB: s.db}
			if err := stmt.Parse(m); err != nil {
				t.Fatalf("parse %T: %v", m, err)
			}
			table := stmt.Schema.Table
			tables[table] = true
			if !mig.HasTable(m) {
				t.Errorf("%T: table %s is missing", m, table)
				continue
			}
			fields := map[string]bool{}
			for _, f := range stmt.Schema.Fields {
				if f.DBName == "" {
					continue
				}
				fields[f.DBName] = true
				if !mig.HasColumn(m, f.DBName) {
					t.Errorf("%T.%s: column %s.%s is missing", m, f.Name, table, f.DBName)
				}
			}
			cols, err := mig.ColumnTypes(m)
			if err != nil {
				t.Fatalf("columns of %s: %v", table, err)
			}
			for _, c := range cols {
				if !fields[c.Name()] {
					t.Errorf("column %s.%s has no field in %T", table, c.Name(), m)
				}
			}
		}
		all, err := mig.GetTables()
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range all {
			if !tables[name] && !strings.HasPrefix(name, "sqlite_") {
				t.Errorf("table %s has no model in AllModels()", name)
			}
		}
	})
}

// TestMigrateConcurrentPostgres starts two replicas on one database at once: both
// must succeed and every migration must be applied exactly once.
func TestMigrateConcurrentPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files := len(migrationFileNames(t, "postgres"))
	for attempt := range 5 {
		dsn := postgresTestDSN(t)
		stores := []*Store{openPostgresTestStoreAt(t, dsn), openPostgresTestStoreAt(t, dsn)}
		applied := make([]int, len(stores))
		errs := make([]error, len(stores))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				<-start
				applied[i], errs[i] = s.Migrate(ctx)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("attempt %d: replica %d: Migrate() = %v", attempt, i, err)
			}
		}
		if applied[0]+applied[1] != files {
			t.Errorf("attempt %d: replicas applied %d + %d migrations, want %d in all", attempt, applied[0], applied[1], files)
		}
		var n int64
		if err := stores[0].db.Model(&schemaMigration{}).Count(&n).Error; err != nil || n != int64(files) {
			t.Errorf("attempt %d: schema_migrations has %d rows, %v, want %d", attempt, n, err, files)
		}
		if t.Failed() {
			return
		}
	}
}

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

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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

func TestStockBasis(t *testing.T) {
	t.Parallel()
	const (
		cust, other     = int64(1), int64(2)
		prod, otherProd = int64(10), int64(11)
		never           = int64(12)
		subCust         = int64(3)
	)
	t0 := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(time.Hour))) }
	s0 := time.Date(2026, 11, 20, 1, 2, 3, 0, time.UTC) // whole second
	ms := func(n int) time.Time { return s0.Add(time.Duration(n) * time.Millisecond) }

	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sh := shanghai(t)
		counts := []StockCount{
			{CustomerID: cust, ProductID: prod, Pieces: 100, CountedAt: h(0)},  // t1
			{CustomerID: cust, ProductID: prod, Pieces: 120, CountedAt: h(48)}, // t3
			{CustomerID: cust, ProductID: prod, Pieces: 888, CountedAt: h(54)}, // deleted below
			{CustomerID: other, ProductID: prod, Pieces: 999, CountedAt: h(50)},
			{CustomerID: cust, ProductID: otherProd, Pieces: 555, CountedAt: h(50)},
			{CustomerID: subCust, ProductID: prod, Pieces: 10, CountedAt: ms(0)},
			{CustomerID: subCust, ProductID: prod, Pieces: 20, CountedAt: ms(300)},
		}
		deliveries := []Delivery{
			{CustomerID: cust, ProductID: prod, Pieces: 50, ReceivedAt: h(24)},  // t2
			{CustomerID: cust, ProductID: prod, Pieces: 10, ReceivedAt: h(72)},  // t4
			{CustomerID: cust, ProductID: prod, Pieces: 666, ReceivedAt: h(78)}, // deleted below
			{CustomerID: other, ProductID: prod, Pieces: 777, ReceivedAt: h(60)},
			{CustomerID: cust, ProductID: otherProd, Pieces: 333, ReceivedAt: h(60)},
			{CustomerID: subCust, ProductID: prod, Pieces: 5, ReceivedAt: ms(150)},
			{CustomerID: subCust, ProductID: prod, Pieces: 7, ReceivedAt: ms(1300)},
		}
		for i := range counts {
			counts[i].ReportID = 1
		}
		for i := range deliveries {
			deliveries[i].ReportID = 1
		}
		if err := s.db.Create(&counts).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Create(&deliveries).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Delete(&counts[2]).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Delete(&deliveries[2]).Error; err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name     string
			customer int64
			product  int64
			at       time.Time
			want     Basis
		}{
			{"before any count", cust, prod, h(-1), Basis{}},
			{"never counted", cust, never, h(100), Basis{}},
			{"at t1", cust, prod, h(0), Basis{HasLast: true, LastAt: h(0), Last: 100}},
			{"between t1 and t2", cust, prod, h(12), Basis{HasLast: true, LastAt: h(0), Last: 100}},
			{"at t2", cust, prod, h(24), Basis{HasLast: true, LastAt: h(0), Last: 100, Delivered: 50}},
			{"between t2 and t3", cust, prod, h(36), Basis{HasLast: true, LastAt: h(0), Last: 100, Delivered: 50}},
			{"at t3", cust, prod, h(48), Basis{HasLast: true, LastAt: h(48), Last: 120}},
			{"between t3 and t4, past a deleted count", cust, prod, h(60), Basis{HasLast: true, LastAt: h(48), Last: 120}},
			{"after t4, past a deleted delivery", cust, prod, h(84), Basis{HasLast: true, LastAt: h(48), Last: 120, Delivered: 10}},
			{"in Shanghai", cust, prod, h(84).In(sh), Basis{HasLast: true, LastAt: h(48), Last: 120, Delivered: 10}},
			{"other customer", other, prod, h(84), Basis{HasLast: true, LastAt: h(50), Last: 999, Delivered: 777}},
			{"other product", cust, otherProd, h(84), Basis{HasLast: true, LastAt: h(50), Last: 555, Delivered: 333}},
			{"just after a whole-second count", subCust, prod, ms(100).In(sh), Basis{HasLast: true, LastAt: ms(0), Last: 10}},
			{"with a sub-second delivery", subCust, prod, ms(299).In(sh), Basis{HasLast: true, LastAt: ms(0), Last: 10, Delivered: 5}},
			{"at a sub-second count", subCust, prod, ms(300).In(sh), Basis{HasLast: true, LastAt: ms(300), Last: 20}},
			{"a second later", subCust, prod, ms(1000).In(sh), Basis{HasLast: true, LastAt: ms(300), Last: 20}},
			{"the next second's delivery", subCust, prod, ms(1300).In(sh), Basis{HasLast: true, LastAt: ms(300), Last: 20, Delivered: 7}},
			{"just before a sub-second count", subCust, prod, ms(0).Add(-time.Millisecond).In(sh), Basis{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.StockBasis(ctx, tt.customer, []int64{tt.product}, tt.at)
				if err != nil {
					t.Fatalf("StockBasis: %v", err)
				}
				b, ok := got[tt.product]
				if !ok || len(got) != 1 {
					t.Fatalf("StockBasis(%d, [%d], %v) = %+v, want one entry for the product", tt.customer, tt.product, tt.at, got)
				}
				if b.HasLast != tt.want.HasLast || b.Last != tt.want.Last || b.Delivered != tt.want.Delivered ||
					!b.LastAt.Equal(tt.want.LastAt) {
					t.Errorf("StockBasis(%d, [%d], %v) = %+v, want %+v", tt.customer, tt.product, tt.at, b, tt.want)
				}
			})
		}

		t.Run("several products", func(t *testing.T) {
			got, err := s.StockBasis(ctx, cust, []int64{prod, otherProd, never}, h(84))
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]int64{prod: 130, otherProd: 888, never: 0} // Last + Delivered
			if len(got) != len(want) {
				t.Fatalf("StockBasis = %+v, want products %v", got, want)
			}
			for pid, sum := range want {
				if b := got[pid]; b.Last+b.Delivered != sum || b.HasLast != (pid != never) {
					t.Errorf("product %d: %+v, want last + delivered %d", pid, b, sum)
				}
			}
		})
		t.Run("no products", func(t *testing.T) {
			got, err := s.StockBasis(ctx, cust, nil, h(84))
			if err != nil || len(got) != 0 {
				t.Errorf("StockBasis(no products) = %v, %v, want empty", got, err)
			}
		})
	})
}

// TestStockBasisAfterSaveExchange goes through the path the bot uses: reports saved
// with Shanghai times, the basis asked for in Shanghai time.
func TestStockBasisAfterSaveExchange(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sh := shanghai(t)
		day := func(d, hour int) time.Time { return time.Date(2026, 11, d, hour, 0, 0, 0, sh) }
		save := func(id string, at time.Time, counts []StockCount, dels []Delivery) {
			t.Helper()
			kind := KindStockCount
			if len(dels) > 0 {
				kind = KindPurchase
			}
			ex := &Exchange{
				In:         &Message{Platform: PlatformConsole, PlatformMsgID: ptr(id), Text: id, CreatedAt: at},
				Report:     &Report{Kind: kind, UserID: "R01", CustomerID: ptr[int64](1), ReportedAt: at},
				Counts:     counts,
				Deliveries: dels,
			}
			if err := s.SaveExchange(ctx, ex); err != nil {
				t.Fatalf("SaveExchange(%s): %v", id, err)
			}
		}
		save("count1", day(10, 10), []StockCount{{CustomerID: 1, ProductID: 1, Pieces: 1200}}, nil)
		save("purchase", day(12, 15), nil, []Delivery{{CustomerID: 1, ProductID: 1, Pieces: 600}})
		// 07:00 in Shanghai is still the day before in UTC.
		b, err := s.StockBasis(ctx, 1, []int64{1}, day(25, 7))
		if err != nil {
			t.Fatal(err)
		}
		want := Basis{HasLast: true, LastAt: day(10, 10), Last: 1200, Delivered: 600}
		if got := b[1]; got.HasLast != want.HasLast || got.Last != want.Last || got.Delivered != want.Delivered || !got.LastAt.Equal(want.LastAt) {
			t.Errorf("StockBasis = %+v, want %+v", got, want)
		}
		save("count2", day(25, 7), []StockCount{{CustomerID: 1, ProductID: 1, Pieces: 1440}}, nil)
		b, err = s.StockBasis(ctx, 1, []int64{1}, day(25, 8))
		if err != nil {
			t.Fatal(err)
		}
		if got := b[1]; got.Last != 1440 || got.Delivered != 0 || !got.LastAt.Equal(day(25, 7)) {
			t.Errorf("StockBasis after the second count = %+v, want last 1440 at %v, nothing delivered", got, day(25, 7))
		}
	})
}

func TestUserByPlatformID(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		users := []User{
			{ID: "R01", Name: "李明", Role: RoleRep, WeComUserID: "LiMing", FeishuOpenID: "ou_r01li"},
			// An ID that is another user's WeCom userid, and no platform IDs of its own.
			{ID: "LiMing", Name: "另一个李明", Role: RoleDealer},
			{ID: "M01", Name: "王建华", Role: RoleManager, WeComUserID: "WangJianHua"},
		}
		if err := s.db.Create(&users).Error; err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			platform, id string
			want         string // user ID; "" for ErrNotFound
		}{
			{PlatformConsole, "R01", "R01"},
			{PlatformWeCom, "LiMing", "R01"},
			{PlatformFeishu, "ou_r01li", "R01"},
			{PlatformConsole, "LiMing", "LiMing"},
			{PlatformWeCom, "WangJianHua", "M01"},
			{PlatformWeCom, "R01", ""},
			{PlatformFeishu, "LiMing", ""},
			{PlatformConsole, "ou_r01li", ""},
			{PlatformWeCom, "nobody", ""},
			{PlatformFeishu, "ou_nobody", ""},
			{PlatformWeCom, "", ""}, // most users have no WeCom userid
			{PlatformFeishu, "", ""},
			{PlatformConsole, "", ""},
			{"slack", "R01", ""},
			{"", "R01", ""},
		}
		for _, tt := range tests {
			t.Run(tt.platform+"/"+tt.id, func(t *testing.T) {
				u, err := s.UserByPlatformID(ctx, tt.platform, tt.id)
				if tt.want == "" {
					if !errors.Is(err, ErrNotFound) {
						t.Errorf("UserByPlatformID(%q, %q) = %+v, %v, want ErrNotFound", tt.platform, tt.id, u, err)
					}
					return
				}
				if err != nil || u.ID != tt.want {
					t.Fatalf("UserByPlatformID(%q, %q) = %+v, %v, want user %s", tt.platform, tt.id, u, err, tt.want)
				}
				for _, w := range users {
					if w.ID == u.ID && (u.Name != w.Name || u.Role != w.Role || u.WeComUserID != w.WeComUserID) {
						t.Errorf("UserByPlatformID(%q, %q) = %+v, want %+v", tt.platform, tt.id, u, w)
					}
				}
			})
		}
	})
}

func TestIsEmpty(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := []struct {
		name string
		rows []any
		want bool
	}{
		{"nothing", nil, true},
		{"a message and a report only", []any{
			&Message{Direction: Inbound, Platform: PlatformConsole, Text: "x"},
			&Report{Kind: KindPurchase, UserID: "R01", ReportedAt: now},
		}, true},
		{"a user", []any{&User{ID: "A01", Name: "管理员", Role: RoleAdmin}}, false},
		{"a product", []any{&Product{Code: "P01", Name: "苹果汁", PackSize: 12}}, false},
		{"a customer", []any{&Customer{Code: "C001", Name: "张记商贸"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachStore(t, func(t *testing.T, s *Store) {
				for _, r := range tt.rows {
					if err := s.db.Create(r).Error; err != nil {
						t.Fatal(err)
					}
				}
				if got, err := s.IsEmpty(context.Background()); err != nil || got != tt.want {
					t.Errorf("IsEmpty() = %v, %v, want %v", got, err, tt.want)
				}
			})
		})
	}
}

func TestLoadCatalog(t *testing.T) {
	t.Parallel()
	dir := catalogDir
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if v, err := s.CatalogVersion(ctx); err != nil || v != "0" {
			t.Fatalf("CatalogVersion() on an empty database = %q, %v, want \"0\"", v, err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || !empty {
			t.Fatalf("IsEmpty() before the import = %v, %v, want true", empty, err)
		}
		c, err := s.LoadCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != "0" || len(c.Products)+len(c.Customers)+len(c.Users) != 0 {
			t.Fatalf("LoadCatalog() on an empty database = %+v, want version 0 and nothing", c)
		}

		res, err := s.ImportDir(ctx, dir)
		if err != nil {
			t.Fatalf("ImportDir(%s): %v", dir, err)
		}
		created := map[ImportKind]int{}
		for _, r := range res {
			created[r.Kind] = r.Created
		}
		v1, err := s.CatalogVersion(ctx)
		if err != nil || v1 == "0" || v1 == "" {
			t.Fatalf("CatalogVersion() after an import = %q, %v, want a new version", v1, err)
		}
		if empty, err := s.IsEmpty(ctx); err != nil || empty {
			t.Errorf("IsEmpty() after the import = %v, %v, want false", empty, err)
		}
		c, err = s.LoadCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != v1 {
			t.Errorf("LoadCatalog().Version = %q, want %q", c.Version, v1)
		}
		for _, k := range []struct {
			kind ImportKind
			n    int
			ids  []int64
		}{
			{ImportProducts, len(c.Products), idsOf(c.Products, func(p Product) int64 { return p.ID })},
			{ImportCustomers, len(c.Customers), idsOf(c.Customers, func(c Customer) int64 { return c.ID })},
			{ImportUsers, len(c.Users), nil},
		} {
			if k.n == 0 || k.n != created[k.kind] {
				t.Errorf("LoadCatalog() has %d %s, want the %d imported", k.n, k.kind, created[k.kind])
			}
			if !slices.IsSorted(k.ids) {
				t.Errorf("LoadCatalog() %s IDs %v, want them in order", k.kind, k.ids)
			}
		}
		if !slices.IsSortedFunc(c.Users, func(a, b User) int { return strings.Compare(a.ID, b.ID) }) {
			t.Errorf("LoadCatalog() users are not in ID order")
		}
		i := slices.IndexFunc(c.Products, func(p Product) bool { return p.Code == "P01" })
		if i < 0 {
			t.Fatal("LoadCatalog() has no product P01")
		}
		if p := c.Products[i]; p.PackSize != 12 || p.PackUnit != "瓶" || p.FactoryPrice != 3850 || p.SafetyFactor != 1500 ||
			!slices.Contains(SplitAliases(p.Aliases), "苹果汁") {
			t.Errorf("P01 = %+v, want pack 12 瓶, 38.5 yuan, factor 1.5, alias 苹果汁", p)
		}

		// Importing again changes the version even though nothing else changed.
		if _, err := s.ImportDir(ctx, dir); err != nil {
			t.Fatalf("second ImportDir: %v", err)
		}
		if v2, err := s.CatalogVersion(ctx); err != nil || v2 == v1 || v2 == "0" {
			t.Errorf("CatalogVersion() after a second import = %q, %v, want a version other than %q", v2, err, v1)
		}
	})
}

func idsOf[T any](xs []T, id func(T) int64) []int64 {
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}
