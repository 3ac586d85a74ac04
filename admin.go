package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"

	"channelbot/bot"
	"channelbot/models"
)

// migrateCmd is the command line of migrate.
var migrateCmd = command{name: "migrate", usage: `usage: channelbot migrate [--db DSN]

Bring the database schema up to date.`}

// migrate brings the database schema up to date.
func (e *environment) migrate(ctx context.Context, args []string) error {
	var c commonFlags
	if _, err := e.cmdline(migrateCmd, args, &c); err != nil {
		return err
	}
	store, _, err := e.openStoreOnly(ctx, c, migrateAlways)
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

// importCmdLine is the command line of import.
var importCmdLine = command{name: "import", args: []string{"PATH"}, clock: true,
	usage: `usage: channelbot import [--db DSN] [--now T] DIR
       channelbot import [--db DSN] [--now T] --kind products|customers|users FILE

Import master data, all or nothing: a folder with products, customers and users
files (.csv or .xlsx), or one file of the kind --kind names.`}

// importCmd imports master data: a folder with products, customers and users files,
// or one file with --kind.
func (e *environment) importCmd(ctx context.Context, args []string) error {
	var c commonFlags
	var kind string
	cmd := importCmdLine
	cmd.flags = func(fs *flag.FlagSet) {
		fs.StringVar(&kind, "kind", "", "products, customers or users: import PATH as that one file")
	}
	rest, err := e.cmdline(cmd, args, &c)
	if err != nil {
		return err
	}
	path := rest[0]
	// Check the path before the database is opened (and, for SQLite, created).
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	switch {
	case kind == "" && !st.IsDir():
		return fmt.Errorf("import: %s is a file: name its kind with --kind products|customers|users", path)
	case kind != "" && st.IsDir():
		return fmt.Errorf("import: %s is a folder: --kind takes one file", path)
	case kind != "" && !slices.Contains([]models.ImportKind{models.ImportProducts, models.ImportCustomers, models.ImportUsers}, models.ImportKind(kind)):
		return e.usageError(cmd, fmt.Sprintf("--kind %q: it is products, customers or users", kind))
	}
	store, _, err := e.openStoreOnly(ctx, c, migrateAuto)
	if err != nil {
		return err
	}
	defer store.Close()
	var results []models.ImportResult
	if kind == "" {
		results, err = store.ImportDir(ctx, path)
	} else {
		var r *models.ImportResult
		if r, err = store.ImportFile(ctx, models.ImportKind(kind), path); err == nil {
			results = append(results, *r)
		}
	}
	var ie *models.ImportError
	if errors.As(err, &ie) {
		return importRowsError{ie} // every bad row, worded for whoever wrote the files
	}
	if err != nil {
		return err
	}
	for _, r := range results {
		fmt.Fprintf(e.stdout, "%s: %d created, %d updated (%s)\n", r.Kind, r.Created, r.Updated, r.File)
	}
	return nil
}

// importRowsError is a rejected import as the import command prints it: its bad rows
// worded by package bot. It unwraps to the *models.ImportError.
type importRowsError struct{ err *models.ImportError }

func (e importRowsError) Error() string { return bot.ImportErrorText(e.err) }
func (e importRowsError) Unwrap() error { return e.err }
