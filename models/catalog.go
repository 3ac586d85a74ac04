package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Catalog is the master data the bot keeps in memory.
type Catalog struct {
	Version   string
	Products  []Product
	Customers []Customer
	Users     []User
}

const metaCatalogVersion = "catalog_version"

// LoadCatalog reads all products, customers and users.
func (s *Store) LoadCatalog(ctx context.Context) (*Catalog, error) {
	c := &Catalog{}
	db := s.db.WithContext(ctx)
	var err error
	if c.Version, err = s.CatalogVersion(ctx); err != nil {
		return nil, err
	}
	if err := db.Order("id").Find(&c.Products).Error; err != nil {
		return nil, fmt.Errorf("models: load products: %w", err)
	}
	if err := db.Order("id").Find(&c.Customers).Error; err != nil {
		return nil, fmt.Errorf("models: load customers: %w", err)
	}
	if err := db.Order("id").Find(&c.Users).Error; err != nil {
		return nil, fmt.Errorf("models: load users: %w", err)
	}
	return c, nil
}

// CatalogVersion returns a value that changes whenever master data is imported.
func (s *Store) CatalogVersion(ctx context.Context) (string, error) {
	var m Meta
	err := s.db.WithContext(ctx).Where("key = ?", metaCatalogVersion).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "0", nil
	}
	if err != nil {
		return "", fmt.Errorf("models: catalog version: %w", err)
	}
	return m.Value, nil
}

// bumpCatalogVersion marks master data as changed, inside tx.
func bumpCatalogVersion(tx *gorm.DB, now time.Time) error {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	v := strconv.FormatInt(now.UnixNano(), 36) + "-" + hex.EncodeToString(rnd[:])
	return tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value"}),
	}).Create(&Meta{Key: metaCatalogVersion, Value: v}).Error
}

// IsEmpty reports whether the database has no users, products and customers yet.
func (s *Store) IsEmpty(ctx context.Context) (bool, error) {
	for _, m := range []any{&User{}, &Product{}, &Customer{}} {
		var n int64
		if err := s.db.WithContext(ctx).Model(m).Limit(1).Count(&n).Error; err != nil {
			return false, fmt.Errorf("models: count: %w", err)
		}
		if n > 0 {
			return false, nil
		}
	}
	return true, nil
}

// FindProduct returns the product with this code, name or alias, or nil.
func (c *Catalog) FindProduct(s string) *Product {
	s = strings.TrimSpace(s)
	for i := range c.Products {
		p := &c.Products[i]
		if p.Code == s || p.Name == s || slices.Contains(SplitAliases(p.Aliases), s) {
			return p
		}
	}
	return nil
}

// CustomerByCode returns the customer with this code, or nil.
func (c *Catalog) CustomerByCode(code string) *Customer {
	for i := range c.Customers {
		if c.Customers[i].Code == code {
			return &c.Customers[i]
		}
	}
	return nil
}
