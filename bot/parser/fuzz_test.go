package parser_test

import (
	"testing"
	"time"

	"channelbot/bot/parser"
)

// declaredIntents are the intents Parse may return.
var declaredIntents = map[parser.Intent]bool{
	parser.IntentStockCount: true, parser.IntentPurchase: true, parser.IntentOrder: true, parser.IntentVisit: true,
	parser.IntentPlan: true, parser.IntentNearExpiry: true, parser.IntentDamage: true, parser.IntentPriceReport: true,
	parser.IntentCrossRegion: true, parser.IntentCompetitor: true, parser.IntentComplaint: true, parser.IntentFeedback: true,
	parser.IntentPromise: true, parser.IntentQuery: true, parser.IntentUndo: true, parser.IntentHelp: true,
	parser.IntentConfirm: true, parser.IntentCancel: true, parser.IntentChoice: true, parser.IntentUnknown: true,
}

// countIntents store quantities: a complete result has one for every item.
var countIntents = map[parser.Intent]bool{
	parser.IntentStockCount: true, parser.IntentPurchase: true, parser.IntentOrder: true,
	parser.IntentDamage: true, parser.IntentNearExpiry: true,
}

// steering intents answer or steer the conversation: they carry no report.
var steering = map[parser.Intent]bool{
	parser.IntentUndo: true, parser.IntentHelp: true, parser.IntentConfirm: true,
	parser.IntentCancel: true, parser.IntentChoice: true,
}

// fuzzSenders are the users a fuzzed message is sent as: reps of both teams, a
// manager, an admin, and nobody known.
var fuzzSenders = []string{"R01", "R03", "M02", "A01", ""}

// FuzzParse feeds Parse anything and checks what must hold whatever the input.
func FuzzParse(f *testing.F) {
	cat := demoCatalog(f)
	for _, c := range loadAcceptance(f) {
		f.Add(c.Text, uint8(0), uint16(7824)) // 7824 hours after base: 2026-11-23 09:00
	}
	for i, c := range languageCases {
		f.Add(c.text, uint8(i), uint16(i*37))
	}
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	f.Fuzz(func(t *testing.T, text string, who uint8, hours uint16) {
		sender := cat.User(fuzzSenders[int(who)%len(fuzzSenders)])
		now := base.Add(time.Duration(hours) * time.Hour) // any hour of 2026–2033
		r := cat.Parse(text, sender, now)
		if !declaredIntents[r.Intent] {
			t.Fatalf("intent %q is not declared", r.Intent)
		}
		for i, it := range r.Items {
			if it.Product == nil {
				t.Fatalf("item %d has no product", i)
			}
			if it.Pieces < 0 {
				t.Fatalf("item %d has %d pieces", i, it.Pieces)
			}
			if !it.HasQty && it.Pieces != 0 {
				t.Fatalf("item %d has %d pieces but no quantity", i, it.Pieces)
			}
		}
		if r.Price != nil && *r.Price < 0 {
			t.Fatalf("price %d", *r.Price)
		}
		if r.Intent == parser.IntentUnknown && (len(r.Items) > 0 || r.Customer != nil || r.Price != nil || len(r.Candidates) > 0) {
			t.Fatalf("unknown intent yields a record: %+v", r)
		}
		if steering[r.Intent] && (len(r.Items) > 0 || r.Customer != nil || r.Price != nil || r.Date != nil) {
			t.Fatalf("%s yields a record: %+v", r.Intent, r)
		}
		if r.Intent == parser.IntentChoice && (r.Choice < 1 || r.Choice > 99) {
			t.Fatalf("choice %d", r.Choice)
		}
		if r.Customer != nil && len(r.Candidates) > 0 {
			t.Fatalf("a customer and candidates: %+v", r)
		}
		if r.Complete() && countIntents[r.Intent] {
			for i, it := range r.Items {
				if !it.HasQty {
					t.Fatalf("complete %s, item %d (%s) without quantity", r.Intent, i, it.Product.Code)
				}
			}
		}
		if r.Date != nil && r.Date.String() != r.Date.In(time.UTC).Format(time.DateOnly) {
			t.Fatalf("date %+v is no calendar day", *r.Date)
		}
	})
}
