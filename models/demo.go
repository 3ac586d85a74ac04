package models

import (
	"context"
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed demo/*.csv
var demoFiles embed.FS

// LoadDemo imports the built-in demo company (products, customers and users) so
// that a newcomer can try the bot at once.
func (s *Store) LoadDemo(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "channelbot-demo-")
	if err != nil {
		return fmt.Errorf("models: demo: %w", err)
	}
	defer os.RemoveAll(dir)
	for _, name := range []string{"products.csv", "customers.csv", "users.csv"} {
		b, err := demoFiles.ReadFile("demo/" + name)
		if err != nil {
			return fmt.Errorf("models: demo: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fmt.Errorf("models: demo: %w", err)
		}
	}
	if _, err := s.ImportDir(ctx, dir); err != nil {
		return fmt.Errorf("models: demo: %w", err)
	}
	return nil
}
