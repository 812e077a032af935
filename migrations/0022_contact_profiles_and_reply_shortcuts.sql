-- 0022 contact profiles and canned-response shortcuts (issue 17).
--
-- Why, 1: the console's side panel shows a customer as the support team knows them, not only as
-- Meta names them: a name an agent chose (`name_override`: Meta's profile name is whatever the
-- customer typed, often an emoji), the team's tags for the person (a `text[]` like the
-- conversations' tags of 0010: a handful, always read with the contact, replaced as a whole),
-- and custom attributes (`attributes`, a JSON object of short strings; the API checks keys,
-- sizes and count, the CHECKs here only stop a runaway writer). They are columns of `contacts`
-- because they are read with it everywhere the contact is shown; only `pytake_daemon.contacts`
-- writes them (the webhook's ingest never touches them).
--
-- Why, 2: contact notes are what agents write about the person across conversations (a
-- conversation's notes, 0010, are about one thread). Same shape and rules: their own table,
-- append-only for the app, author kept as a foreign key that survives the user's removal.
--
-- Why, 3: contact search covers the agent-chosen name too, so the trigram index and the
-- `contact_search` view (0003 explains why searches go through the view; 0016 rebuilt them)
-- are rebuilt once more on the same expression. The inbox search, which uses the same view,
-- finds conversations by that name as well.
--
-- Why, 4: the contact list without a search is keyset-paged newest first: an index on
-- (tenant_id, created_at DESC, id DESC) serves the order and the cursor condition.
--
-- Why, 5: a profile lists the contact's past attendances (queue items) with their outcome and
-- rating. 0009 indexed queue items by agent, queue and the active one per conversation, not all
-- of a conversation's items: without this index each profile would scan the tenant's items.
--
-- Why, 6: canned responses get a `/shortcut` (typed in the composer) and an owner: a personal
-- reply belongs to one user (`owner_id`), a shared one (`owner_id` NULL) to the whole tenant or
-- to one department (`department`, matched against `agents.departments`, the unit the queues
-- and goals of 0009 already use). A shortcut is unique per owner scope: among the tenant's
-- shared replies, and among each user's personal ones (a personal one may shadow a shared one:
-- the composer prefers the caller's own). A user's personal replies go with the user.

ALTER TABLE contacts
    ADD COLUMN name_override text
        CONSTRAINT contacts_name_override_check CHECK (length(name_override) BETWEEN 1 AND 120),
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}',
    ADD COLUMN attributes jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT contacts_attributes_check
        CHECK (jsonb_typeof(attributes) = 'object' AND octet_length(attributes::text) <= 65536);

CREATE INDEX contacts_recent_idx ON contacts (tenant_id, created_at DESC, id DESC);

DROP INDEX contacts_search_idx;
CREATE INDEX contacts_search_idx ON contacts USING gin ((
    coalesce(username, '') || ' ' || coalesce(profile_name, '') || ' ' || coalesce(wa_id, '')
    || ' ' || coalesce(bsuid, '') || ' ' || coalesce(name_override, '')) gin_trgm_ops);

-- The same expression as the index, or the planner can't use it.
CREATE OR REPLACE VIEW contact_search AS
    SELECT c.tenant_id, c.id,
           coalesce(c.username, '') || ' ' || coalesce(c.profile_name, '') || ' '
           || coalesce(c.wa_id, '') || ' ' || coalesce(c.bsuid, '') || ' '
           || coalesce(c.name_override, '') AS search_text
      FROM contacts c
     WHERE c.tenant_id = current_tenant_id();

CREATE TABLE contact_notes (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    contact_id  uuid NOT NULL,
    author_id   uuid,
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 4096),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (author_id)
);
CREATE INDEX contact_notes_contact_idx
    ON contact_notes (tenant_id, contact_id, created_at DESC, id DESC);

ALTER TABLE contact_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE contact_notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contact_notes USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
-- A record of what agents said to each other: no UPDATE or DELETE for the app.
GRANT SELECT, INSERT ON contact_notes TO :app_role;

CREATE INDEX queue_items_conversation_history_idx
    ON queue_items (tenant_id, conversation_id, entered_at DESC);

ALTER TABLE ai_replies
    ADD COLUMN shortcut text
        CONSTRAINT ai_replies_shortcut_check CHECK (shortcut ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    ADD COLUMN owner_id uuid,
    ADD COLUMN department text
        CONSTRAINT ai_replies_department_check CHECK (length(department) BETWEEN 1 AND 100),
    ADD CONSTRAINT ai_replies_owner_fkey FOREIGN KEY (tenant_id, owner_id)
        REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    -- A personal reply is the owner's alone: sharing it with a department makes no sense.
    ADD CONSTRAINT ai_replies_scope_check CHECK (owner_id IS NULL OR department IS NULL);
CREATE UNIQUE INDEX ai_replies_shared_shortcut_idx ON ai_replies (tenant_id, shortcut)
    WHERE owner_id IS NULL AND shortcut IS NOT NULL;
CREATE UNIQUE INDEX ai_replies_personal_shortcut_idx ON ai_replies (tenant_id, owner_id, shortcut)
    WHERE owner_id IS NOT NULL AND shortcut IS NOT NULL;
