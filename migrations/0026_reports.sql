-- 0026 reports (issue 21, R1): the per-queue SLA target, the indexes that bound the report
-- queries by period, and the quarter-hour roll-up of messages and their analysis.
-- Why this shape: reports read the tables that already exist (messages, queue items, queue
-- history, system lines, ratings, the AI's analysis); nothing is maintained on the message
-- path for them. Messages by period use 0003's messages_created_idx, the AI by period 0008's
-- ai_message_analysis_time_idx (for the part of a period the roll-up below hasn't reached, and
-- for drill-downs). What was missing is a period index on the smaller tables the reports
-- group: attendances entered, system lines by kind, ratings answered (none of them is written
-- per message; conversations, updated by every message and never HOT since last_message_at is
-- indexed, get no new index either: conversations opened in a period are found through
-- conversations_list_idx, see docs/reports.md).

-- First response target per queue, in seconds: what "SLA attainment" is measured against.
-- Five minutes by default (a chat customer's patience); admins set their own.
ALTER TABLE queues ADD COLUMN first_response_target_seconds int NOT NULL DEFAULT 300
    CHECK (first_response_target_seconds BETWEEN 10 AND 604800);

-- Attendances by the time they entered a queue (the reports' cohort).
CREATE INDEX queue_items_entered_idx ON queue_items (tenant_id, entered_at);
-- Closures and reopenings in a period (conversation_events_thread_idx is per conversation).
CREATE INDEX conversation_events_kind_idx ON conversation_events (tenant_id, kind, created_at);
-- Ratings answered in a period (conversation_feedback_agent_idx is per agent).
CREATE INDEX conversation_feedback_answered_idx ON conversation_feedback (tenant_id, answered_at)
    WHERE rating IS NOT NULL;

-- The tenant's messages and the AI's analysis per quarter of an hour, rolled up by the reports'
-- own background pass (pytake_daemon/reports/rollup.py), never by the message path: a month's
-- report at a million messages would otherwise read ~170,000 message rows. Quarters, since
-- every UTC offset in use is a multiple of 15 minutes: a local midnight is always a quarter's
-- start, so any period in any zone is whole quarters. `report_rollups.until` is where the
-- tenant's quarters end; reports read the rows before it and the messages from it on.
CREATE TABLE report_quarters (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    quarter    timestamptz NOT NULL,
    inbound    int NOT NULL DEFAULT 0,
    outbound   int NOT NULL DEFAULT 0,
    positive   int NOT NULL DEFAULT 0,
    neutral    int NOT NULL DEFAULT 0,
    negative   int NOT NULL DEFAULT 0,
    -- {"intent": count} of the customer messages analysed in the quarter.
    intents    jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, quarter)
);
CREATE TABLE report_rollups (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    until      timestamptz NOT NULL
);
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['report_quarters', 'report_rollups']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON report_quarters, report_rollups TO :app_role;

-- Every tenant, for the roll-up pass (SECURITY DEFINER, ids only).
CREATE FUNCTION report_tenants()
RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT t.id FROM tenants t $$;
REVOKE ALL ON FUNCTION report_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION report_tenants() TO :app_role;

-- Template sends and Meta's errors stay live (their statuses change after the quarter): two
-- partial indexes that hold only those rows. A message that is neither adds no entry; a
-- status update changes no column of the first, and only a failure sets error_code.
CREATE INDEX messages_template_sends_idx ON messages (tenant_id, created_at)
    WHERE type = 'template' AND direction = 'out';
CREATE INDEX messages_errors_idx ON messages (tenant_id, created_at)
    WHERE error_code IS NOT NULL;
