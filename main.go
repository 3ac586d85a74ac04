// Command channelbot is a chat-bot that runs a consumer-goods company's channel
// sales in WeCom and Feishu. Run "channelbot help" for its commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "channelbot:", err)
		}
		os.Exit(1)
	}
}

// errUsage is returned after usage was printed; nothing more needs saying.
var errUsage = errors.New("usage")

const usage = `channelbot — 渠道助手, the field-sales chat-bot

Usage:
  channelbot chat    [--as USER_ID] [--db DSN] [--no-demo]   talk to the bot in the terminal
  channelbot serve   [--db DSN] [--no-demo]                  run the HTTP server
  channelbot migrate [--db DSN]                              bring the database schema up to date
  channelbot import  [--db DSN] [--kind KIND] PATH           import products/customers/users
  channelbot parse   [--db DSN] [--as USER_ID] [--now T]     show how messages are understood
  channelbot doctor  [--db DSN]                              check the configuration and the services
  channelbot jobs    list | run [--now T] NAME               the scheduled jobs; run one now
  channelbot policy  create --file F | status [--json] ID    price-policy broadcasts
  channelbot version

Configuration comes from environment variables (see README.md); --db overrides DATABASE_URL.
`

// run is the whole program, with its environment passed in so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	env := &environment{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "chat":
		return env.chat(ctx, rest)
	case "serve":
		return env.serve(ctx, rest)
	case "migrate":
		return env.migrate(ctx, rest)
	case "import":
		return env.importCmd(ctx, rest)
	case "parse":
		return env.parse(ctx, rest)
	case "doctor":
		return env.doctor(ctx, rest)
	case "jobs":
		return env.jobs(ctx, rest)
	case "policy":
		return env.policy(ctx, rest)
	case "version":
		fmt.Fprintln(stdout, "channelbot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
