-- Initial schema: master data, reports with their lines, the message audit log.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL,
    manager_id     TEXT NOT NULL DEFAULT '',
    wecom_userid   TEXT NOT NULL DEFAULT '',
    feishu_open_id TEXT NOT NULL DEFAULT '',
    customer_id    INTEGER,
    region         TEXT NOT NULL DEFAULT '',
    phone          TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
CREATE UNIQUE INDEX users_wecom_userid ON users (wecom_userid) WHERE wecom_userid <> '';
CREATE UNIQUE INDEX users_feishu_open_id ON users (feishu_open_id) WHERE feishu_open_id <> '';
CREATE INDEX users_manager_id ON users (manager_id);

CREATE TABLE customers (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    aliases    TEXT NOT NULL DEFAULT '',
    type       TEXT NOT NULL DEFAULT '',
    tier       TEXT NOT NULL DEFAULT '',
    region     TEXT NOT NULL DEFAULT '',
    owner_id   TEXT NOT NULL DEFAULT '',
    visit_days TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);
CREATE INDEX customers_owner_id ON customers (owner_id);

CREATE TABLE products (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    aliases         TEXT NOT NULL DEFAULT '',
    unit            TEXT NOT NULL DEFAULT '箱',
    pack_size       INTEGER NOT NULL DEFAULT 1,
    pack_unit       TEXT NOT NULL DEFAULT '',
    shelf_life_days INTEGER NOT NULL DEFAULT 0,
    factory_price   BIGINT NOT NULL DEFAULT 0,
    floor_price     BIGINT NOT NULL DEFAULT 0,
    safety_factor   INTEGER NOT NULL DEFAULT 1500,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    direction       TEXT NOT NULL,
    platform        TEXT NOT NULL,
    platform_msg_id TEXT,
    user_id         TEXT NOT NULL DEFAULT '',
    peer            TEXT NOT NULL DEFAULT '',
    text            TEXT NOT NULL,
    reply_to        INTEGER,
    created_at      DATETIME NOT NULL
);
CREATE UNIQUE INDEX messages_platform_msg_id ON messages (direction, platform, platform_msg_id);
CREATE INDEX messages_user_id ON messages (user_id, created_at);

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    customer_id INTEGER,
    message_id  INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    reported_at DATETIME NOT NULL,
    created_at  DATETIME NOT NULL,
    deleted_at  DATETIME
);
CREATE INDEX reports_user_id ON reports (user_id, reported_at);
CREATE INDEX reports_customer_id ON reports (customer_id, reported_at);

CREATE TABLE stock_counts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    pieces      BIGINT NOT NULL,
    counted_at  DATETIME NOT NULL,
    deleted_at  DATETIME
);
CREATE INDEX stock_counts_customer_product ON stock_counts (customer_id, product_id, counted_at);

CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    product_id  INTEGER NOT NULL,
    pieces      BIGINT NOT NULL,
    received_at DATETIME NOT NULL,
    deleted_at  DATETIME
);
CREATE INDEX deliveries_customer_product ON deliveries (customer_id, product_id, received_at);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
