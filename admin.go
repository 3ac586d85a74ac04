package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"channelbot/models"
)

// migrate brings the database schema up to date.
func (e *environment) migrate(ctx context.Context, args []string) error {
	var c commonFlags
	if _, err := e.parseFlags("migrate", args, &c, false, nil); err != nil {
		return err
	}
	store, err := e.openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "database schema is at version %d\n", v)
	return nil
}

// importCmd imports master data: a folder with products, customers and users files,
// or one file with --kind.
func (e *environment) importCmd(ctx context.Context, args []string) error {
	var c commonFlags
	var kind string
	rest, err := e.parseFlags("import", args, &c, false, func(fs *flag.FlagSet) {
		fs.StringVar(&kind, "kind", "", "products, customers or users: import PATH as that one file")
	})
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		fmt.Fprintln(e.stderr, "usage: channelbot import [--db DSN] DIR | channelbot import [--db DSN] --kind KIND FILE")
		return errUsage
	}
	path := rest[0]
	store, err := e.openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	var results []models.ImportResult
	if kind == "" {
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if !st.IsDir() {
			return fmt.Errorf("import: %s is a file: name its kind with --kind products|customers|users", path)
		}
		if results, err = store.ImportDir(ctx, path); err != nil {
			return err
		}
	} else {
		r, err := store.ImportFile(ctx, models.ImportKind(kind), path)
		if err != nil {
			return err
		}
		results = append(results, *r)
	}
	for _, r := range results {
		fmt.Fprintf(e.stdout, "%s: %d created, %d updated (%s)\n", r.Kind, r.Created, r.Updated, r.File)
	}
	return nil
}
