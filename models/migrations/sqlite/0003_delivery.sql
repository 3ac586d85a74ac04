-- The messages table doubles as inbox and outbox: inbound platform messages wait as
-- 'queued' until processed; outbound ones wait as 'pending' until delivered. Leases let
-- several replicas share the work without doing it twice.
ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_attempt_at DATETIME;
ALTER TABLE messages ADD COLUMN lease_until DATETIME;
ALTER TABLE messages ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN sent_at DATETIME;
ALTER TABLE messages ADD COLUMN markdown BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN buttons TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN quote TEXT NOT NULL DEFAULT '';
-- Partial indexes: only the rows still waiting are indexed, so the bulk of the log
-- (done, sent) costs nothing to keep.
CREATE INDEX messages_outbox ON messages (id) WHERE status = 'pending';
CREATE INDEX messages_outbox_peer ON messages (platform, peer, id) WHERE status = 'pending';
CREATE INDEX messages_inbox_peer ON messages (platform, peer, id) WHERE status = 'queued';
DROP INDEX messages_user_id;
ALTER TABLE messages ADD COLUMN payload TEXT NOT NULL DEFAULT '';

-- Check-ins carry where the rep was; photos are evidence attached to a report.
ALTER TABLE reports ADD COLUMN lat REAL;
ALTER TABLE reports ADD COLUMN lng REAL;
CREATE TABLE attachments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id  INTEGER NOT NULL,
    platform   TEXT NOT NULL,
    media_id   TEXT NOT NULL,
    url        TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL
);
CREATE INDEX attachments_report_id ON attachments (report_id);
