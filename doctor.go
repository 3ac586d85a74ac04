package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"channelbot/bot/feishu"
	"channelbot/bot/state"
	"channelbot/bot/wecom"
	"channelbot/config"
)

// doctorCmd is the command line of doctor.
var doctorCmd = command{name: "doctor", usage: `usage: channelbot doctor [--db DSN]

Check the configuration, the database, Redis and each platform (it fetches a token),
and say in plain words what is wrong. It changes nothing: it never migrates.`}

// doctor checks the configuration and every service it names, and says in plain
// words what is wrong. It exits non-zero when anything is.
func (e *environment) doctor(ctx context.Context, args []string) error {
	var c commonFlags
	if _, err := e.cmdline(doctorCmd, args, &c); err != nil {
		return err
	}
	cfg, err := e.config(c)
	if err != nil {
		fmt.Fprintf(e.stdout, "✘ 配置有误：\n%v\n", err)
		return errDoctor
	}
	ok := true
	check := func(name string, err error, fine string) {
		if err != nil {
			ok = false
			fmt.Fprintf(e.stdout, "✘ %s：%v\n", name, err)
			return
		}
		fmt.Fprintf(e.stdout, "✔ %s：%s\n", name, fine)
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	log := e.logger(cfg)

	fine, err := e.doctorDatabase(cctx, cfg, log)
	check("数据库", err, fine)
	st, err := state.Open(cctx, cfg.RedisURL.Reveal(), cfg.StatePrefix, nil)
	switch {
	case err != nil:
		check("Redis", err, "")
	case cfg.RedisURL == "":
		check("Redis", nil, "未配置，会话状态存在进程内（单实例可用，多副本必须配置 REDIS_URL）")
	default:
		check("Redis", st.Ping(cctx), "连接正常")
	}
	if err == nil {
		defer st.Close()
	}
	if !cfg.WeCom.Enabled() {
		fmt.Fprintln(e.stdout, "- 企业微信：未配置（WECOM_* 未设置）")
	} else if st != nil {
		client, err := wecom.NewClient(cfg.WeCom, platformHTTP, st, log)
		if err == nil {
			err = client.Check(cctx)
		}
		check("企业微信", err, fmt.Sprintf("获取 access_token 成功（%s，应用 %s）", cfg.WeCom.APIBase, cfg.WeCom.AgentID))
	}
	if f := cfg.Feishu; !f.Enabled() {
		fmt.Fprintln(e.stdout, "- 飞书：未配置（FEISHU_* 未设置）")
	} else if st != nil {
		client, err := feishu.NewClient(f, platformHTTP, st, log)
		if err == nil {
			err = client.Check(cctx)
		}
		check("飞书", err, fmt.Sprintf("获取 tenant_access_token 成功（%s，应用 %s）", f.APIBase, f.AppID))
		switch {
		case f.Mode == config.FeishuModeWebsocket:
			fmt.Fprintln(e.stdout, "- 飞书收消息：长连接（FEISHU_MODE=websocket），不需要公网地址；"+
				"开发者后台「事件与回调」的订阅方式须选「使用长连接接收事件」，卡片回调也选长连接")
		case f.EncryptKey == "":
			fmt.Fprintln(e.stdout, "⚠ 飞书收消息：请求地址 POST /feishu/events（FEISHU_MODE=webhook）；未设置 FEISHU_ENCRYPT_KEY，"+
				"事件只靠 Verification Token 校验。建议在「事件与回调 › 加密策略」设置 Encrypt Key，并填入 FEISHU_ENCRYPT_KEY")
		default:
			fmt.Fprintln(e.stdout, "- 飞书收消息：请求地址 POST /feishu/events（FEISHU_MODE=webhook），事件加密并验签")
		}
	}
	if !ok {
		return errDoctor
	}
	return nil
}

// errDoctor means doctor found problems and has said so.
var errDoctor = fmt.Errorf("doctor found problems")

// doctorDatabase checks that the database answers and its schema is current,
// without creating or changing anything. It returns the line that says all is well.
func (e *environment) doctorDatabase(ctx context.Context, cfg *config.Config, log *slog.Logger) (string, error) {
	driver, dsn := cfg.DatabaseDriver()
	if driver == "sqlite" {
		path := sqlitePath(dsn)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && path != "" {
			return "", fmt.Errorf("文件 %s 还不存在：运行 channelbot migrate 创建它", path)
		}
	}
	store, err := e.openStore(ctx, cfg, log, migrateNever)
	if err != nil {
		return "", err
	}
	defer store.Close()
	have, err := store.SchemaVersion(ctx)
	if err != nil {
		return "", err
	}
	want, err := store.LatestSchemaVersion()
	if err != nil {
		return "", err
	}
	if have < want {
		return "", fmt.Errorf("表结构版本 %d，本版本需要 %d：运行 channelbot migrate", have, want)
	}
	return fmt.Sprintf("%s，表结构版本 %d", cfg.DatabaseURL, have), nil
}
