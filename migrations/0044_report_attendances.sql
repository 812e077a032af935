-- 0044 report attendances (issue 21, R1): each attendance's facts, rolled up once it is over,
-- and the closures per quarter of an hour.
--
-- Why: a month's tenant report at a million messages spent most of its time on the attendance
-- cohort (6,700 attendances, each probing messages_thread_idx for its first reply,
-- queue_history_item_idx for its transfers and conversation_feedback's key for its rating:
-- random reads in indexes far larger than shared buffers). The facts of an attendance stop
-- changing once it has ended, except its rating, which may come later. The reports' own
-- background pass (pytake_daemon/reports/attendance_rollup.py, with 0026's quarters) writes
-- one small row per attendance here, and a report reads the period's rows through
-- report_attendances_entered_idx; the attendances that entered since the pass, and those not
-- final when it ran, are still computed live from queue_items, so figures stay exact.
-- Nothing is written on the message path.
CREATE TABLE report_attendances (
    tenant_id       uuid NOT NULL,
    item_id         uuid NOT NULL,
    queue_id        uuid NOT NULL,
    agent_id        uuid,
    conversation_id uuid NOT NULL,
    status          text NOT NULL,
    entered_at      timestamptz NOT NULL,
    assigned_at     timestamptz,
    ended_at        timestamptz,
    -- The first message from a person at or after entering and not after the end (NULL: none).
    answered_at     timestamptz,
    -- A completed attendance's rating as of the pass; one answered later is read live.
    rating          smallint,
    transfers       int NOT NULL DEFAULT 0,
    -- Ended more than the recompute window (an hour) before the pass's `until`: nothing about it
    -- changes any more but its rating. A row that isn't final is recomputed by every pass and
    -- computed live by reports.
    final           boolean NOT NULL,
    PRIMARY KEY (tenant_id, item_id),
    -- An attendance that goes (its conversation erased, its tenant deleted) takes its row along.
    FOREIGN KEY (tenant_id, item_id) REFERENCES queue_items (tenant_id, id) ON DELETE CASCADE
);
-- The cohort of a period (final rows) and the rows still open (the pass's and the live part).
CREATE INDEX report_attendances_entered_idx ON report_attendances (tenant_id, entered_at)
    WHERE final;
CREATE INDEX report_attendances_open_idx ON report_attendances (tenant_id, entered_at)
    WHERE NOT final;

ALTER TABLE report_attendances ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_attendances FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON report_attendances USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON report_attendances TO :app_role;

-- Closures per UTC quarter of an hour, and those a flow made with no word from a person (the
-- tenant report's automation share): after the cohort, the closures were the largest part of a
-- month's tenant report (each flow closure looks back for its previous closure and that
-- episode's messages). Apart from report_quarters: its rows are the quarters with messages.
CREATE TABLE report_closures (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    quarter    timestamptz NOT NULL,
    closed     int NOT NULL,
    automated  int NOT NULL,
    PRIMARY KEY (tenant_id, quarter)
);
ALTER TABLE report_closures ENABLE ROW LEVEL SECURITY;
ALTER TABLE report_closures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON report_closures USING (tenant_id = current_tenant_id())
    WITH CHECK (tenant_id = current_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON report_closures TO :app_role;

-- Where the tenant's attendance rows (by entered_at) and closure quarters end, apart from the
-- quarters' `until`: a tenant whose quarters are rolled up has neither until the first pass
-- after this migration (NULL: reports read them live meanwhile, exact and slower).
ALTER TABLE report_rollups ADD COLUMN facts_until timestamptz;

