-- Price policies: what changes, for whom, from when; who was told and who confirmed.
CREATE TABLE policies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    price_type TEXT NOT NULL,
    price      BIGINT NOT NULL,
    effective  TEXT NOT NULL,
    audience   TEXT NOT NULL,
    text       TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);

CREATE TABLE policy_products (
    policy_id  INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    PRIMARY KEY (policy_id, product_id)
);
CREATE INDEX policy_products_product ON policy_products (product_id);

CREATE TABLE policy_customers (
    policy_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (policy_id, customer_id)
);
CREATE INDEX policy_customers_customer ON policy_customers (customer_id);

CREATE TABLE policy_recipients (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    policy_id        INTEGER NOT NULL,
    customer_id      INTEGER NOT NULL,
    user_id          TEXT NOT NULL,
    message_id       INTEGER,
    failed           TEXT NOT NULL DEFAULT '',
    acked_at         DATETIME,
    reminders        INTEGER NOT NULL DEFAULT 0,
    last_reminded_at DATETIME
);
CREATE UNIQUE INDEX policy_recipients_user ON policy_recipients (policy_id, user_id);
CREATE INDEX policy_recipients_open ON policy_recipients (user_id) WHERE acked_at IS NULL;

-- reports_kind_customer (0004) serves what reports_customer_id did.
DROP INDEX reports_customer_id;

-- Only messages with a platform ID are checked for repeats: replies (no ID) skip the index.
DROP INDEX messages_platform_msg_id;
CREATE UNIQUE INDEX messages_platform_msg_id ON messages (direction, platform, platform_msg_id) WHERE platform_msg_id IS NOT NULL;
