-- 0008 ai: what the analysis of customer messages leaves behind, and what tenants configure.
-- Why this shape: analysis runs after the webhook's commit, in the ingest job, which is retried
-- when it fails; every write here is therefore keyed by what it describes (the message, the
-- conversation, the conversation + rule) so a retry rewrites the same rows instead of adding
-- new ones. Alerts are unique per conversation and rule: a supervisor hears about a rule once.

CREATE TABLE ai_message_analysis (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    message_id         uuid NOT NULL PRIMARY KEY,
    conversation_id    uuid NOT NULL,
    language           text NOT NULL CHECK (language IN ('pt', 'en')),
    sentiment          real NOT NULL CHECK (sentiment BETWEEN -1 AND 1),
    sentiment_label    text NOT NULL CHECK (sentiment_label IN ('positive', 'neutral', 'negative')),
    intent             text NOT NULL,
    intent_confidence  real NOT NULL CHECK (intent_confidence BETWEEN 0 AND 1),
    analyzed_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, message_id) REFERENCES messages (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX ai_message_analysis_conversation_idx
    ON ai_message_analysis (tenant_id, conversation_id, analyzed_at DESC);
CREATE INDEX ai_message_analysis_time_idx ON ai_message_analysis (tenant_id, analyzed_at);

-- The conversation's recency-weighted mood, kept up to date by each analysis; `negative_since`
-- marks when it turned negative (insights), `human_requested_at` the open human request.
CREATE TABLE ai_conversation_mood (
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    conversation_id     uuid NOT NULL PRIMARY KEY,
    language            text NOT NULL CHECK (language IN ('pt', 'en')),
    score               real NOT NULL,
    label               text NOT NULL,
    trend               real NOT NULL,
    messages            int NOT NULL,
    negative_since      timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX ai_conversation_mood_negative_idx
    ON ai_conversation_mood (tenant_id, negative_since) WHERE negative_since IS NOT NULL;

CREATE TABLE ai_alerts (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    conversation_id  uuid NOT NULL,
    rule             text NOT NULL,
    message_id       uuid,
    detail           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, conversation_id, rule),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE
);
CREATE INDEX ai_alerts_time_idx ON ai_alerts (tenant_id, created_at DESC);

-- Canned responses and knowledge snippets: what suggestions are made of.
CREATE TABLE ai_replies (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('canned', 'snippet')),
    title       text NOT NULL,
    body        text NOT NULL,
    intents     text[] NOT NULL DEFAULT '{}',
    language    text CHECK (language IN ('pt', 'en')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_replies_tenant_idx ON ai_replies (tenant_id, created_at);

CREATE TABLE ai_custom_intents (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{1,39}$'),
    examples    text[] NOT NULL DEFAULT '{}',
    keywords    text[] NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, name)
);

-- Overrides of the installation's [ai] defaults, one JSON object per tenant.
CREATE TABLE ai_settings (
    tenant_id   uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    overrides   jsonb NOT NULL DEFAULT '{}',
    updated_at  timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ai_message_analysis', 'ai_conversation_mood', 'ai_alerts',
                             'ai_replies', 'ai_custom_intents', 'ai_settings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON ai_message_analysis, ai_conversation_mood, ai_alerts,
    ai_replies, ai_custom_intents, ai_settings TO :app_role;
