-- Scheduled jobs. job_runs has one row per job and day: a run that completed is never
-- repeated, and a run that died half-way (lease run out, status not done) is resumed.
-- warnings remembers what was sent about a customer (and product), so a warning is
-- repeated only when it is new, worse, or still unresolved after some days.
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    run_date    TEXT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    sent        INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    lease_until DATETIME,
    started_at  DATETIME NOT NULL,
    finished_at DATETIME
);
CREATE UNIQUE INDEX job_runs_name_date ON job_runs (name, run_date);

CREATE TABLE warnings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    product_id  INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL,
    level       INTEGER NOT NULL,
    first_seen  DATETIME NOT NULL,
    last_sent   DATETIME NOT NULL,
    last_job    TEXT NOT NULL DEFAULT '',
    resolved_at DATETIME
);
CREATE UNIQUE INDEX warnings_key ON warnings (customer_id, product_id, kind);
CREATE INDEX warnings_open ON warnings (kind) WHERE resolved_at IS NULL;

-- The jobs read whole days and kinds at once.
CREATE INDEX reports_kind_customer ON reports (kind, customer_id, reported_at);
CREATE INDEX reports_reported_at ON reports (reported_at);
CREATE INDEX stock_counts_zero ON stock_counts (counted_at) WHERE pieces = 0;
CREATE INDEX deliveries_received_at ON deliveries (received_at);
