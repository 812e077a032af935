-- 0021 a conversation's life: its queue on the row, reopening, and the thread's system lines.
-- Why (issue 17):
-- * A thread listed a flow's "passing you to support" and the queue's "you are number 1" in
--   either order: both rows came from one transaction, so `messages.created_at` (now(), the
--   transaction's time) was equal and the uuid decided. clock_timestamp() gives each row the
--   time it was written, so the thread's order is the order things were caused (the outbox's
--   own order, 0015, was already right).
-- * A conversation's current queue and the last queue it was in are kept on the row by a
--   trigger on queue_items (like assigned_user_id, 0009), so the inbox shows the queue without
--   a join per row and a reopened conversation knows where to go back to.
-- * A resolved conversation the customer writes into again is reopened by the webhook writer
--   (status 'open'); `reopen_pending` marks it in that same statement (a trigger, so the
--   message path gains no statement) for the fan-out's hook, which decides what the message
--   means (a rating answer keeps it closed; anything else puts it back in its last queue) and
--   clears the mark in one UPDATE per batch.
-- * `conversation_events`: the system lines of a thread (assigned, transferred, queued,
--   closed, reopened, rated, note added, timed out), read next to the messages by the same
--   keyset (created_at, id) through conversation_events_thread_idx.

ALTER TABLE messages ALTER COLUMN created_at SET DEFAULT clock_timestamp();

ALTER TABLE conversations
    ADD COLUMN queue_id uuid,
    ADD COLUMN last_queue_id uuid,
    ADD COLUMN reopen_pending boolean NOT NULL DEFAULT false;

UPDATE conversations c SET queue_id = i.queue_id
  FROM queue_items i
 WHERE i.tenant_id = c.tenant_id AND i.conversation_id = c.id
   AND i.status IN ('waiting', 'assigned');
UPDATE conversations c SET last_queue_id = l.queue_id
  FROM (SELECT DISTINCT ON (tenant_id, conversation_id) tenant_id, conversation_id, queue_id
          FROM queue_items
         ORDER BY tenant_id, conversation_id, entered_at DESC, id DESC) l
 WHERE l.tenant_id = c.tenant_id AND l.conversation_id = c.id;

-- A new active item names the conversation's queue; an item that ends clears it (unless a
-- newer item already replaced it in the same transaction: a transfer ends one and inserts the
-- next). Waiting → assigned changes nothing here, so distribution pays nothing for it.
CREATE FUNCTION queue_items_track_queue() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE conversations SET queue_id = NEW.queue_id, last_queue_id = NEW.queue_id
         WHERE tenant_id = NEW.tenant_id AND id = NEW.conversation_id;
    ELSE
        UPDATE conversations SET queue_id = NULL
         WHERE tenant_id = OLD.tenant_id AND id = OLD.conversation_id
           AND queue_id = OLD.queue_id
           AND NOT EXISTS (SELECT 1 FROM queue_items n
                            WHERE n.tenant_id = OLD.tenant_id
                              AND n.conversation_id = OLD.conversation_id
                              AND n.status IN ('waiting', 'assigned'));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER queue_items_track_queue_insert
    AFTER INSERT ON queue_items
    FOR EACH ROW WHEN (NEW.status IN ('waiting', 'assigned'))
    EXECUTE FUNCTION queue_items_track_queue();
CREATE TRIGGER queue_items_track_queue_end
    AFTER UPDATE OF status ON queue_items
    FOR EACH ROW WHEN (OLD.status IN ('waiting', 'assigned')
                       AND NEW.status NOT IN ('waiting', 'assigned'))
    EXECUTE FUNCTION queue_items_track_queue();

CREATE FUNCTION conversations_mark_reopened() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    NEW.reopen_pending := true;
    RETURN NEW;
END $$;

-- Only a resolved conversation turning open: the WHEN keeps every other update free of it.
CREATE TRIGGER conversations_mark_reopened
    BEFORE UPDATE OF status ON conversations
    FOR EACH ROW WHEN (OLD.status = 'resolved' AND NEW.status = 'open')
    EXECUTE FUNCTION conversations_mark_reopened();

-- The reopen hook reads the batch's marked conversations by primary key; the inbox filters by
-- queue.
CREATE INDEX conversations_queue_idx ON conversations (tenant_id, queue_id)
    WHERE queue_id IS NOT NULL;

CREATE TABLE conversation_events (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    conversation_id  uuid NOT NULL,
    kind             text NOT NULL
                     CHECK (kind IN ('queued', 'assigned', 'transferred', 'closed', 'reopened',
                                     'rated', 'note_added', 'timed_out')),
    -- Who did it: a user, or NULL for the system (distribution, a flow, the customer).
    actor_id         uuid,
    -- To whom (assigned, transferred to an agent, rated) and which queue.
    agent_id         uuid,
    queue_id         uuid,
    detail           jsonb NOT NULL DEFAULT '{}',
    -- The row's own time, like messages.created_at: lines written in one transaction keep
    -- their order in the thread.
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX conversation_events_thread_idx
    ON conversation_events (tenant_id, conversation_id, created_at DESC, id DESC);

ALTER TABLE conversation_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversation_events USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());

-- A record of what happened: no UPDATE or DELETE for the app.
GRANT SELECT, INSERT ON conversation_events TO :app_role;

-- A supervisor may assign past an agent's capacity, explicitly (POST …/assignment with
-- override_capacity, audited). The room it takes is `extra_capacity`: the constraint allows
-- capacity + extra_capacity, distribution still fills only up to capacity (its candidates need
-- active_count < capacity), and the room shrinks back as the agent's conversations end.
ALTER TABLE agents ADD COLUMN extra_capacity int NOT NULL DEFAULT 0 CHECK (extra_capacity >= 0);
ALTER TABLE agents DROP CONSTRAINT agents_within_capacity;
ALTER TABLE agents ADD CONSTRAINT agents_within_capacity
    CHECK (active_count >= 0 AND active_count <= capacity + extra_capacity);

-- 0009's function, with the overridden room given back when a conversation leaves the agent.
CREATE OR REPLACE FUNCTION queue_items_track_assignment() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP = 'UPDATE' AND OLD.status = 'assigned';
    is_active boolean := NEW.status = 'assigned';
BEGIN
    IF was_active AND (NOT is_active OR NEW.agent_id IS DISTINCT FROM OLD.agent_id) THEN
        UPDATE agents SET active_count = active_count - 1,
                          extra_capacity = greatest(0, least(extra_capacity,
                                                             active_count - 1 - capacity))
         WHERE tenant_id = OLD.tenant_id AND id = OLD.agent_id;
        UPDATE conversations SET assigned_user_id = NULL, updated_at = now()
         WHERE tenant_id = OLD.tenant_id AND id = OLD.conversation_id
           AND assigned_user_id = OLD.agent_id;
    END IF;
    IF is_active AND (NOT was_active OR NEW.agent_id IS DISTINCT FROM OLD.agent_id) THEN
        -- Fails with agents_within_capacity when the agent is full.
        UPDATE agents SET active_count = active_count + 1, last_assigned_at = NEW.assigned_at
         WHERE tenant_id = NEW.tenant_id AND id = NEW.agent_id;
        UPDATE conversations SET assigned_user_id = NEW.agent_id, updated_at = now()
         WHERE tenant_id = NEW.tenant_id AND id = NEW.conversation_id;
    END IF;
    RETURN NULL;
END $$;
