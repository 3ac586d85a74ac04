package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"channelbot/bot"
	"channelbot/models"
)

const policyUsage = `usage:
  channelbot policy create [--db DSN] [--now T] --file policy.yaml|policy.json
  channelbot policy status [--db DSN] [--json] ID

create checks a price policy and broadcasts it to its dealers (its effective date may
not be before today, or before the day --now T names); status shows how far one got.`

// policyCreateCmd and policyStatusCmd are the command lines of policy create and
// policy status.
var (
	policyCreateCmd = command{name: "policy create", clock: true, usage: policyUsage}
	policyStatusCmd = command{name: "policy status", args: []string{"ID"}, usage: policyUsage}
)

// policy creates a price policy and broadcasts it, or shows how far one got.
func (e *environment) policy(ctx context.Context, args []string) error {
	return e.subcommands(ctx, "policy", policyUsage, args, map[string]func(context.Context, []string) error{
		"create": e.policyCreate, "status": e.policyStatus})
}

func (e *environment) policyCreate(ctx context.Context, args []string) error {
	var c commonFlags
	var file string
	cmd := policyCreateCmd
	cmd.flags = func(fs *flag.FlagSet) { fs.StringVar(&file, "file", "", "the policy, as YAML or JSON") }
	if _, err := e.cmdline(cmd, args, &c); err != nil {
		return err
	}
	if file == "" {
		return e.usageError(cmd, "missing --file")
	}
	d, err := readDraft(file)
	if err != nil {
		return err
	}
	store, cfg, err := e.openStoreOnly(ctx, c, migrateAuto)
	if err != nil {
		return err
	}
	defer store.Close()
	id, n, err := createPolicy(ctx, store, d, cfg.Timezone)
	var pe *models.PolicyError
	if errors.As(err, &pe) {
		// Every problem, worded for whoever wrote the file.
		return fmt.Errorf("policy: %s", strings.Join(bot.PolicyProblems(pe), "; "))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "policy %d created: %d dealer users targeted\n", id, n)
	return nil
}

func (e *environment) policyStatus(ctx context.Context, args []string) error {
	var c commonFlags
	var asJSON bool
	cmd := policyStatusCmd
	cmd.flags = func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print the status as JSON") }
	rest, err := e.cmdline(cmd, args, &c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return e.usageError(cmd, fmt.Sprintf("%q is not a policy number", rest[0]))
	}
	store, _, err := e.openStoreOnly(ctx, c, migrateAuto)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := store.StatusOf(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("policy %d does not exist", id)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return json.NewEncoder(e.stdout).Encode(st)
	}
	fmt.Fprintf(e.stdout, "policy %d: targeted %d, sent %d, acknowledged %d, failed %d\n", st.ID, st.Targeted, st.Sent, st.Acknowledged, st.Failed)
	if len(st.Missing) > 0 {
		fmt.Fprintf(e.stdout, "not acknowledged: %s\n", strings.Join(st.Missing, ", "))
	}
	for _, f := range st.Failures {
		fmt.Fprintf(e.stdout, "failed: %s\n", f)
	}
	return nil
}

// readDraft reads a policy file, YAML or JSON by its extension.
func readDraft(path string) (models.PolicyDraft, error) {
	var d models.PolicyDraft
	b, err := os.ReadFile(path)
	if err != nil {
		return d, fmt.Errorf("policy: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = json.Unmarshal(b, &d)
	} else {
		err = yaml.Unmarshal(b, &d)
	}
	if err != nil {
		return d, fmt.Errorf("policy: %s is not a valid policy file: %w", path, err)
	}
	return d, nil
}

// createPolicy checks a draft and broadcasts it: the one path for the CLI and the
// admin API. It returns the policy's ID and how many dealer users it targets.
func createPolicy(ctx context.Context, store *models.Store, d models.PolicyDraft, loc *time.Location) (int64, int, error) {
	cat, err := store.LoadCatalog(ctx)
	if err != nil {
		return 0, 0, err
	}
	p, products, err := models.CheckPolicy(d, cat, store.Now().In(loc).Format(time.DateOnly))
	if err != nil {
		return 0, 0, err
	}
	_, dealers := cat.AudienceOf(p.Audience)
	id, err := store.CreatePolicy(ctx, p, products, cat, bot.PolicyMessage, bot.PolicyUnreachable)
	return id, len(dealers), err
}
