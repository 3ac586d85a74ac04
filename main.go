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
	"time"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2) // what was wrong has been said, with the usage
	case err != nil:
		fmt.Fprintln(os.Stderr, "channelbot:", err)
		os.Exit(1)
	}
}

// errUsage is returned after a usage error was explained; nothing more needs saying.
// The process exits with status 2.
var errUsage = errors.New("usage")

const usage = `channelbot — 渠道助手, the field-sales chat-bot

Usage:
  channelbot chat    [--as USER_ID] [--now T] [--db DSN] [--no-demo]  talk to the bot in the terminal
  channelbot serve   [--db DSN] [--no-demo]                           run the HTTP server
  channelbot migrate [--db DSN]                                       bring the database schema up to date
  channelbot import  [--db DSN] [--kind KIND] PATH                    import products/customers/users
  channelbot parse   [--as USER_ID] [--now T] [--db DSN]              show how messages are understood
  channelbot doctor  [--db DSN]                                       check the configuration and the services
  channelbot jobs    list | run [--now T] NAME                        the scheduled jobs; run one now
  channelbot policy  create [--now T] --file F | status [--json] ID   price-policy broadcasts
  channelbot version

Flags may come before or after the arguments; "channelbot COMMAND --help" shows a
command's own usage. Configuration comes from environment variables (see README.md);
--db overrides DATABASE_URL. --now T (RFC 3339) runs a command as of time T.
`

// run is the whole program, with its environment passed in so tests can call it.
// The clock is time.Now unless a command's --now sets it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := &environment{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, now: time.Now}
	err := env.run(ctx, args)
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

func (e *environment) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	if cmd != "serve" {
		// Terminal commands print their results; the log says only what went wrong.
		e = e.quiet()
	}
	switch cmd {
	case "chat":
		return e.chat(ctx, rest)
	case "serve":
		return e.serve(ctx, rest)
	case "migrate":
		return e.migrate(ctx, rest)
	case "import":
		return e.importCmd(ctx, rest)
	case "parse":
		return e.parse(ctx, rest)
	case "doctor":
		return e.doctor(ctx, rest)
	case "jobs":
		return e.jobs(ctx, rest)
	case "policy":
		return e.policy(ctx, rest)
	case "version":
		if _, err := e.cmdline(command{name: "version", usage: "usage: channelbot version"}, rest, &commonFlags{}); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "channelbot", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	fmt.Fprintf(e.stderr, "unknown command %q\n\n%s", cmd, usage)
	return errUsage
}
