-- 0026 reports (issue 21, R1): the per-queue SLA target, and the indexes that bound the report
-- queries by period.
-- Why this shape: reports read the tables that already exist (messages, queue items, queue
-- history, system lines, ratings, the AI's analysis); nothing is maintained on the message
-- path for them. Messages by period use 0003's messages_created_idx, the AI by period 0008's
-- ai_message_analysis_time_idx: messages gain no index here, so the ingest path writes exactly
-- what it wrote before. What was missing is a period index on the smaller tables the reports
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
