-- 0010 conversation notes and tags: what agents write about a conversation for each other.
-- Why this shape: notes are internal, so they live in a table of their own and never in
-- `messages` (nothing that reads `messages` — the outbox, the search views, the exports of a
-- thread — can ever send or show one to the customer). `conversations.notes_count` is kept in
-- the same transaction as the insert so the inbox shows which conversations have notes without
-- a count per listed row, and consoles only fetch notes for conversations that have some.
-- Tags are a `text[]` on the conversation: a handful per conversation, always read with it,
-- replaced as a whole by the console (last write wins, and every console sees the result).
-- The flows' tag node keeps writing `flow_tags` (its record of what each flow did); a trigger
-- merges those tags into the conversation's, so the agents see them too.

ALTER TABLE conversations
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN notes_count int NOT NULL DEFAULT 0 CHECK (notes_count >= 0);
CREATE INDEX conversations_tags_idx ON conversations USING gin (tags);

CREATE TABLE conversation_notes (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    conversation_id  uuid NOT NULL,
    author_id        uuid,
    body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE,
    -- A deleted user's notes stay, without an author.
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (author_id)
);
CREATE INDEX conversation_notes_conversation_idx
    ON conversation_notes (tenant_id, conversation_id, created_at, id);

ALTER TABLE conversation_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversation_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON conversation_notes USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());

-- Notes are a record of what was said between agents: no UPDATE or DELETE for the app.
GRANT SELECT, INSERT ON conversation_notes TO :app_role;

-- A flow's tag, normalised like the API's (trimmed, spaces collapsed, lower case), joins the
-- conversation's tags in the flow's own transaction.
CREATE FUNCTION flow_tags_to_conversation() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    tag text := lower(regexp_replace(btrim(NEW.tag), '\s+', ' ', 'g'));
BEGIN
    IF tag <> '' THEN
        UPDATE conversations
           SET tags = ARRAY(SELECT DISTINCT t FROM unnest(tags || tag) AS t ORDER BY t),
               updated_at = now()
         WHERE tenant_id = NEW.tenant_id AND id = NEW.conversation_id AND NOT (tag = ANY (tags));
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER flow_tags_to_conversation
    AFTER INSERT ON flow_tags
    FOR EACH ROW EXECUTE FUNCTION flow_tags_to_conversation();
