-- 0003 conversation search: what the conversations API needs from 0002's tables.
--
-- Why, 1: row-level security keeps 0002's trigram indexes away from the daemon's role. The
-- planner uses a condition as an index condition ahead of a policy's condition only when its
-- operator is LEAKPROOF, and ILIKE (texticlike) is not: as pytake_app, `text ILIKE '%ana%'` is a
-- sequential scan over every tenant's messages, however many there are. The two views below are
-- owned by the migration role (which bypasses RLS, see database.admin_url) and scope their rows
-- by current_tenant_id() themselves, exactly as the policies do; the planner inlines them, so
-- the trigram indexes serve searches again. They are deliberately not security_barrier views
-- (that would block the indexes the same way): a hand-made leaky predicate could observe other
-- tenants' rows through them, which gives the daemon's role nothing it lacks anyway, since it
-- sets pytake.tenant_id itself. Everything else still goes through the tables and their
-- policies. tests/conversations checks that the views show only the current tenant's rows.
--
-- Why, 2: the inbox is ordered by last_message_at DESC NULLS LAST, id DESC (keyset pagination on
-- both). 0002's list indexes are (last_message_at DESC, id), i.e. NULLS FIRST with id ascending,
-- which can serve neither that order nor a keyset condition on it; they are replaced.
--
-- Why, 3: a search by name or phone finds contacts, then their conversations: an index on
-- (tenant_id, contact_id) (0002's unique key leads with number_id).
--
-- Why, 4: the inbox stats count today's messages; without an index on when a message was stored
-- that is a scan of the tenant's whole history on every dashboard refresh.

CREATE VIEW contact_search AS
    SELECT c.tenant_id, c.id, coalesce(c.profile_name, '') || ' ' || c.wa_id AS search_text
      FROM contacts c
     WHERE c.tenant_id = current_tenant_id();

CREATE VIEW message_search AS
    SELECT m.tenant_id, m.conversation_id, m.text
      FROM messages m
     WHERE m.tenant_id = current_tenant_id();

REVOKE ALL ON contact_search, message_search FROM PUBLIC;
GRANT SELECT ON contact_search, message_search TO :app_role;

DROP INDEX conversations_list_idx;
DROP INDEX conversations_status_idx;
CREATE INDEX conversations_list_idx
    ON conversations (tenant_id, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_status_idx
    ON conversations (tenant_id, status, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_contact_idx ON conversations (tenant_id, contact_id);
CREATE INDEX messages_created_idx ON messages (tenant_id, created_at);
