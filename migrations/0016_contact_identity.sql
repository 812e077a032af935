-- 0016 contact identity: customers known by Meta's business-scoped user id (BSUID), with the
-- phone number as an optional attribute; and customers' edits and deletions of their messages.
--
-- Why, 1: since April 2026 Meta puts a BSUID (`US.13491208655302741918`) in every messages
-- webhook, and a customer who adopted a WhatsApp username can write with no phone number at all
-- (no `from`, no `contacts[].wa_id`). 0002 required `contacts.wa_id`, so such a message could not
-- be stored and the whole POST was refused. `wa_id` stays the phone column (Meta's wa_id is the
-- phone) and becomes optional; `bsuid` is the other key. One of the two is always there.
-- A BSUID belongs to one business portfolio; a tenant is one portfolio, so it is unique per
-- tenant. Existing contacts carry over unchanged: `bsuid` stays NULL until a payload carrying
-- both their phone and a BSUID links them.
--
-- Why, 2: `username` is for display only (the customer can change it; the BSUID stays).
-- `parent_bsuid` is Meta's id across linked portfolios, kept as an attribute, never a key.
-- `phone_verified`: the customer shared this phone themselves (a contact-request reply).
-- `phone_conflict`: a phone Meta or the customer gave that belongs to another contact, or
-- differs from the one already linked: flagged for an agent, never merged automatically
-- (a recycled number or a shared card must not join two people's histories).
--
-- Why, 3: search covers username, name, phone and BSUID, so the trigram index and the
-- `contact_search` view (0003 explains why searches go through the view) are rebuilt on the
-- same expression; with `wa_id` NULL the old expression was NULL and the contact unfindable.
--
-- Why, 4: customers on numbers shared with the WhatsApp Business app can edit (15 minutes) and
-- delete (2 days) what they wrote. An edit replaces the message's content and keeps the earlier
-- versions in `edits` (oldest first); a deletion sets `revoked_at`, and the content stays for
-- audit while the API and the console stop showing it. The edit and revoke notifications
-- themselves are recorded in `webhook_events` (by digest, so a redelivery changes nothing).
-- Referrals, forwarding flags and why a message is unsupported were already stored
-- (`messages.referral`, `messages.context`, `messages.content`).

ALTER TABLE contacts ALTER COLUMN wa_id DROP NOT NULL;
ALTER TABLE contacts
    ADD COLUMN bsuid text
        CONSTRAINT contacts_bsuid_check CHECK (bsuid ~ '^[A-Za-z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$'),
    ADD COLUMN parent_bsuid text
        CONSTRAINT contacts_parent_bsuid_check
        CHECK (parent_bsuid ~ '^[A-Za-z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$'),
    ADD COLUMN username text CONSTRAINT contacts_username_check CHECK (length(username) <= 256),
    ADD COLUMN phone_verified boolean NOT NULL DEFAULT false,
    ADD COLUMN phone_conflict text
        CONSTRAINT contacts_phone_conflict_check CHECK (phone_conflict ~ '^[0-9]{1,32}$'),
    ADD CONSTRAINT contacts_identity_check CHECK (wa_id IS NOT NULL OR bsuid IS NOT NULL),
    ADD CONSTRAINT contacts_tenant_id_bsuid_key UNIQUE (tenant_id, bsuid);

DROP INDEX contacts_search_idx;
CREATE INDEX contacts_search_idx ON contacts USING gin ((
    coalesce(username, '') || ' ' || coalesce(profile_name, '') || ' ' || coalesce(wa_id, '')
    || ' ' || coalesce(bsuid, '')) gin_trgm_ops);

-- The same expression as the index, or the planner can't use it.
CREATE OR REPLACE VIEW contact_search AS
    SELECT c.tenant_id, c.id,
           coalesce(c.username, '') || ' ' || coalesce(c.profile_name, '') || ' '
           || coalesce(c.wa_id, '') || ' ' || coalesce(c.bsuid, '') AS search_text
      FROM contacts c
     WHERE c.tenant_id = current_tenant_id();

ALTER TABLE messages
    ADD COLUMN edited_at timestamptz,
    ADD COLUMN edits jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN revoked_at timestamptz;

-- Which contact a status callback named (BSUID sends have no `recipient_id`).
ALTER TABLE message_statuses ADD COLUMN recipient_user_id text;

-- A deleted message's words stop matching searches (the row, and its text, stay for audit).
CREATE OR REPLACE VIEW message_search AS
    SELECT m.tenant_id, m.conversation_id, m.text
      FROM messages m
     WHERE m.tenant_id = current_tenant_id() AND m.revoked_at IS NULL;

-- Why, 5: an item of a webhook POST that can't be understood (no sender at all, a malformed id
-- or timestamp) no longer refuses the POST: it is kept here, raw, with the reason, and its
-- neighbours are stored as usual.
ALTER TABLE webhook_events ADD COLUMN reason text;
