-- 0047 the inbox stats bounded (issue #20: `GET /api/v1/conversations/stats`, read by every
-- console's header whenever events arrive).
--
-- Why: the statement counted every conversation of the tenant by status (every resolved one
-- ever) and every message of the tenant created since 00:00 UTC, so its cost grew with the
-- history and through the day: on a tenant with 25,000 conversations (most resolved) and
-- 120,000 messages today it read 3,082 buffers and took 130-145 ms a call, sequential scans of
-- both tables (a 30-minute soak's console read p99 went from 10 ms to 40-90 ms). Now 700-850
-- buffers and 2-12 ms there (tests/conversations/test_plans_stats.py), and each figure reads
-- the rows it counts, or the rolled-up quarters:
-- * open, pending, snoozed, unassigned open: conversations_status_idx, which already holds the
--   status first, read for the three non-resolved statuses only.
-- * messages today in/out: the report roll-up's quarters since 00:00 UTC up to its watermark
--   (report_quarters, 0026), and the messages after the watermark (messages_created_idx).
-- * the indexes below for the rest.
--
-- Their cost on the message path: every message updates its conversation's last_message_at
-- (indexed), so those updates are never HOT and already write every index of conversations;
-- the three partial indexes below add an entry only while the predicate holds (the window's
-- one for conversations with a customer message ever, the unread one while unread, the
-- resolved one for our messages into a resolved conversation: a customer's reopens it).
-- Marking a conversation read, which could stay HOT, now writes its indexes (unread_count is
-- indexed). Failed sends are indexed by a column of their own, `failed_at`, not by `status`:
-- no index of `messages` names status, so a message's status callbacks (sent, delivered, read:
-- three per message we send) stay HOT, and an index whose predicate named status made every
-- one of them write all of messages' indexes, the trigram one included (measured on a scratch
-- model of the send path: 8,919 of 8,919 status updates HOT without it, none with `WHERE
-- status = 'failed'`, all but the failures with `failed_at`).

-- "Resolved" in the stats is the conversations resolved today (UTC) and still resolved: the
-- count of every resolved conversation ever grows without bound. resolved_at is when the
-- conversation was last resolved, set by a trigger (every writer of `status` gets it, and an
-- update that doesn't resolve doesn't run it). A rating answered today puts a conversation
-- closed before back to resolved (attendance/reopen.py): it counts as resolved today.
ALTER TABLE conversations ADD COLUMN resolved_at timestamptz;

-- Every resolved conversation is taken as resolved at its last update, so none is left NULL:
-- the insert trigger below would take a restored one (backups COPY rows in) for one resolved now.
UPDATE conversations SET resolved_at = updated_at WHERE status = 'resolved';

CREATE FUNCTION conversations_mark_resolved() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.resolved_at := now();
    RETURN NEW;
END $$;

CREATE TRIGGER conversations_mark_resolved
    BEFORE UPDATE OF status ON conversations
    FOR EACH ROW WHEN (OLD.status <> 'resolved' AND NEW.status = 'resolved')
    EXECUTE FUNCTION conversations_mark_resolved();
-- A conversation inserted resolved (a restore, tests) keeps a resolved_at it was given.
CREATE TRIGGER conversations_insert_resolved
    BEFORE INSERT ON conversations
    FOR EACH ROW WHEN (NEW.status = 'resolved' AND NEW.resolved_at IS NULL)
    EXECUTE FUNCTION conversations_mark_resolved();

-- Resolved today: the day's resolutions only.
CREATE INDEX conversations_resolved_idx ON conversations (tenant_id, resolved_at)
    WHERE status = 'resolved';
-- Unread conversations and messages: the unread conversations only, their count included
-- (an index-only scan where the visibility map allows).
CREATE INDEX conversations_unread_idx ON conversations (tenant_id) INCLUDE (unread_count)
    WHERE unread_count > 0;
-- The 24-hour customer service window: the conversations whose customer wrote in the last 24
-- hours, a range of this index (`now()` can't be in a partial index's predicate).
CREATE INDEX conversations_inbound_idx ON conversations (tenant_id, last_inbound_at)
    WHERE last_inbound_at IS NOT NULL;
-- Failed sends today. failed_at is when an outbound message failed, while its status is
-- `failed` (a later status that outranks the failure, delivered or read, clears it), kept by a
-- trigger: BEFORE, so no statement is added, and its WHEN keeps every other insert and status
-- update from calling it (only a failure, or a failure outranked, changes the column). The
-- count is then the index's entries alone. Not error_code or error_explanation: a failure may
-- come with neither (messages_errors_idx doesn't hold them all).
ALTER TABLE messages ADD COLUMN failed_at timestamptz;
UPDATE messages SET failed_at = status_at WHERE direction = 'out' AND status = 'failed';

CREATE FUNCTION messages_track_failed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.failed_at := CASE WHEN NEW.status = 'failed' THEN now() END;
    RETURN NEW;
END $$;

CREATE TRIGGER messages_track_failed
    BEFORE UPDATE OF status ON messages
    FOR EACH ROW WHEN (NEW.direction = 'out'
                       AND (NEW.status = 'failed') <> (NEW.failed_at IS NOT NULL))
    EXECUTE FUNCTION messages_track_failed();
CREATE TRIGGER messages_insert_failed
    BEFORE INSERT ON messages
    FOR EACH ROW WHEN (NEW.direction = 'out'
                       AND (NEW.status = 'failed') <> (NEW.failed_at IS NOT NULL))
    EXECUTE FUNCTION messages_track_failed();

CREATE INDEX messages_failed_idx ON messages (tenant_id, created_at) WHERE failed_at IS NOT NULL;
