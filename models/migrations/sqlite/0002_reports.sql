-- Every kind of report: fields for plans, expiry, promises, prices, places and brands,
-- and generic lines (products or customers) for the kinds without a table of their own.
ALTER TABLE reports ADD COLUMN price BIGINT;
ALTER TABLE reports ADD COLUMN on_date TEXT;
ALTER TABLE reports ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN brand TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE reports ADD COLUMN resolved_at DATETIME;
CREATE INDEX reports_kind_on_date ON reports (kind, on_date);

CREATE TABLE report_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id   INTEGER NOT NULL,
    customer_id INTEGER,
    product_id  INTEGER,
    pieces      BIGINT,
    deleted_at  DATETIME
);
CREATE INDEX report_items_report_id ON report_items (report_id);
CREATE INDEX report_items_customer_id ON report_items (customer_id);
