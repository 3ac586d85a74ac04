package models

import (
	"context"
	"errors"
	"testing"
)

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
