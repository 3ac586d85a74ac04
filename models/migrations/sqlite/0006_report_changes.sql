-- The audit trail of what was done to reports after they were stored: created,
-- corrected by a later count (superseded), edited, resolved, undone. Old and new
-- values are kept, so nothing a rep changes is lost.
CREATE TABLE report_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id  INTEGER NOT NULL,
    user_id    TEXT NOT NULL,
    action     TEXT NOT NULL,
    platform   TEXT NOT NULL DEFAULT '',
    peer       TEXT NOT NULL DEFAULT '',
    message_id INTEGER,
    line_id    INTEGER,
    ref_id     INTEGER,
    old_value  TEXT NOT NULL DEFAULT '',
    new_value  TEXT NOT NULL DEFAULT '',
    at         DATETIME NOT NULL,
    undone_at  DATETIME
);
CREATE INDEX report_changes_conversation ON report_changes (user_id, platform, peer, at);
CREATE INDEX report_changes_report ON report_changes (report_id);
CREATE INDEX report_changes_ref ON report_changes (ref_id);
