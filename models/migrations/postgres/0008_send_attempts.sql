-- When an outbound message was first and last tried: the first try that may have
-- reached the platform starts the platform's duplicate-check window, after which
-- the outbox gives up rather than resend (issue 13 §3).
ALTER TABLE messages ADD COLUMN first_attempt_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN last_attempt_at TIMESTAMPTZ;
