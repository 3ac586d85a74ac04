package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Role is what a user does with the bot.
type Role string

// Roles.
const (
	RoleRep     Role = "rep"
	RoleManager Role = "manager"
	RoleDealer  Role = "dealer"
	RoleAdmin   Role = "admin"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleRep, RoleManager, RoleDealer, RoleAdmin:
		return true
	}
	return false
}

// CanReport reports whether users of this role may file reports.
func (r Role) CanReport() bool { return r == RoleRep || r == RoleManager || r == RoleAdmin }

// User is a person the bot knows: a rep, a manager, a dealer or an admin.
type User struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Role         Role
	ManagerID    string
	WeComUserID  string `gorm:"column:wecom_userid"`
	FeishuOpenID string
	CustomerID   *int64 // the customer a dealer belongs to
	Region       string
	Phone        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserByPlatformID finds the user behind a platform identity: the user ID itself on the
// console, the WeCom userid, or the Feishu open_id. It returns ErrNotFound if none matches.
func (s *Store) UserByPlatformID(ctx context.Context, platform, id string) (*User, error) {
	col := map[string]string{
		PlatformConsole: "id",
		PlatformWeCom:   "wecom_userid",
		PlatformFeishu:  "feishu_open_id",
	}[platform]
	if col == "" || id == "" {
		return nil, ErrNotFound
	}
	var u User
	// The "<> ''" lets the database use the partial unique index on the column.
	err := s.db.WithContext(ctx).Where(col+" = ? AND "+col+" <> ''", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: user %s/%s: %w", platform, id, err)
	}
	return &u, nil
}

// Reach returns where u is reached: on prefer when u is on it, else on WeCom or
// Feishu, whichever u has (the console reaches everyone by user ID). peer is empty
// when u cannot be reached.
func (u *User) Reach(prefer string) (platform, peer string) {
	ids := map[string]string{PlatformConsole: u.ID, PlatformWeCom: u.WeComUserID, PlatformFeishu: u.FeishuOpenID}
	if ids[prefer] != "" {
		return prefer, ids[prefer]
	}
	for _, p := range []string{PlatformWeCom, PlatformFeishu} {
		if ids[p] != "" {
			return p, ids[p]
		}
	}
	return "", ""
}
