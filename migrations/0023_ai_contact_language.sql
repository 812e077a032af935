-- 0023 ai contact language: the language a customer writes in, remembered across conversations,
-- and how each analysed message's language was chosen (issue 23).
--
-- Why, 1: a message too short to detect ("ok", "LMAO, AMAZING!", "👍") used to take the
-- conversation's language, or the tenant's default on a first message: in a Portuguese tenant,
-- short English texts were scored with the Portuguese lexicon (0.000 for "LMAO, AMAZING!"). The
-- customer's earlier messages say better: the analysis remembers the language of each contact's
-- last message that was detected reliably, and a short one takes it before the conversation's
-- and the tenant's.
--
-- Why, 2: its own table rather than a column of `contacts`: the webhook's ingest updates a
-- contact's row on the reply path when the customer's profile changes
-- (whatsapp/ingest_contacts.py), and the analysis writes the language in its own job's
-- transaction; as a column, ingest would wait for the analysis on that row's lock. The foreign
-- key only takes a KEY SHARE lock, which a profile update doesn't wait for.
--
-- Why, 3: `ai_message_analysis.language_source` keeps how the language was chosen (detected, or
-- taken from the contact, the conversation or the tenant's default), so agents can tell a
-- guess from a detection. A constant default: no table rewrite on existing installations.

CREATE TABLE ai_contact_language (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    contact_id  uuid NOT NULL,
    language    text NOT NULL CHECK (language IN ('pt', 'en')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- The analysis reads and writes it by (tenant_id, contact_id) only: this key is its index.
    PRIMARY KEY (tenant_id, contact_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE ai_contact_language ENABLE ROW LEVEL SECURITY;
ALTER TABLE ai_contact_language FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ai_contact_language USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT, UPDATE, DELETE ON ai_contact_language TO :app_role;

ALTER TABLE ai_message_analysis
    ADD COLUMN language_source text NOT NULL DEFAULT 'detected'
        CHECK (language_source IN ('detected', 'contact', 'conversation', 'default'));
