package bot_test

import (
	"context"
	"strings"
	"testing"

	"channelbot/bot"
	"channelbot/bot/bottest"
	"channelbot/models"
)

// TestTextLimits: replies are split to the size configured for their platform, and
// left whole on a platform with no limit.
func TestTextLimits(t *testing.T) {
	const limit = 200
	b, _ := bottest.NewBot(t, nil, bot.WithTextLimits(bot.TextLimits{models.PlatformWeCom: limit}))
	ctx := context.Background()
	whole, err := b.Handle(ctx, bot.Inbound{Platform: models.PlatformConsole, From: "R01", Text: "帮助", At: at})
	if err != nil || len(whole.Replies) != 1 || len(whole.Replies[0]) <= limit {
		t.Fatalf("console help: %v %q, want one reply longer than %d bytes", err, whole.Replies, limit)
	}
	split, err := b.Handle(ctx, bot.Inbound{Platform: models.PlatformWeCom, MsgID: "m1", From: "LiMing", Text: "帮助", At: at})
	if err != nil || len(split.Replies) < 2 {
		t.Fatalf("wecom help: %v %q, want it split", err, split.Replies)
	}
	for _, r := range split.Replies {
		if len(r) > limit {
			t.Errorf("reply of %d bytes over %d: %q", len(r), limit, r)
		}
	}
	if got, want := strings.Join(split.Replies, ""), strings.ReplaceAll(whole.Replies[0], "\n", ""); strings.ReplaceAll(got, "\n", "") != want {
		t.Errorf("split replies lose text:\n%s\nwant\n%s", got, want)
	}
}
