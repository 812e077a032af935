-- 0039 gamification (issue 21, R2): points from measured work, badges, challenges, per tenant.
--
-- Why, 1: points are a ledger, one row per measured fact with the row it came from
-- (`source_table`, `source_id`): an attendance resolved with a person's reply, a first reply
-- within the queue's target (0 points when late, kept so a badge can see the miss), a rating
-- (0 points under 4), a goal reached. Never a message count: a count rewards spam. The rows
-- are written by a background pass (pytake_daemon/gamification/service.py) under an advisory
-- lock, never on the message path; UNIQUE (tenant_id, reason, source_id) makes a re-run write
-- the same rows (upsert), so a period recomputed gives the same points.
--
-- Why, 2: badges are awarded once per rule and period (the primary key), challenges are a
-- supervisor's target for a period, and the tenant setting turns all of it off (no row: on).
-- `gamification_runs.until` is where the tenant's pass ended; the next one recomputes from an
-- hour before it (a transaction that committed late is still counted).
--
-- Indexes, each named by the statement it serves (gamification/db.py):
--   gamification_points_period_idx  leaderboards, challenges and badges by period;
--   gamification_points_agent_idx   one agent's latest points ("my points");
--   gamification_badges_period_idx  the badges of a period (leaderboard, my badges);
--   agent_activities_goal_idx       the pass's "goals reached" in its window (0009's index on
--                                   agent_activities is per agent).
-- The pass's other sources are bounded by 0009's queue_items_ended_idx (per queue, by end)
-- and 0026's conversation_feedback_answered_idx.

CREATE TABLE gamification_settings (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    enabled     boolean NOT NULL DEFAULT true,
    updated_by  uuid,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (updated_by)
);

CREATE TABLE gamification_points (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            bigserial PRIMARY KEY,
    agent_id      uuid NOT NULL,
    reason        text NOT NULL
                  CHECK (reason IN ('resolved', 'first_response', 'csat', 'goal_reached')),
    points        int NOT NULL CHECK (points >= 0),
    -- When the fact happened (an attendance's end, a rating's answer, a goal's moment).
    at            timestamptz NOT NULL,
    source_table  text NOT NULL
                  CHECK (source_table IN ('queue_items', 'conversation_feedback',
                                          'agent_activities')),
    source_id     text NOT NULL,
    queue_id      uuid,
    detail        jsonb NOT NULL DEFAULT '{}',
    UNIQUE (tenant_id, reason, source_id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX gamification_points_period_idx ON gamification_points (tenant_id, at);
CREATE INDEX gamification_points_agent_idx ON gamification_points (tenant_id, agent_id, at DESC);

CREATE TABLE gamification_badges (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agent_id      uuid NOT NULL,
    badge         text NOT NULL CHECK (badge IN ('closer', 'five_star_streak', 'on_target_week')),
    -- The local day (a day's rule) or Monday (a week's rule) the badge was earned for.
    period_start  date NOT NULL,
    awarded_at    timestamptz NOT NULL,
    detail        jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (tenant_id, agent_id, badge, period_start),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX gamification_badges_period_idx ON gamification_badges (tenant_id, period_start);

CREATE TABLE gamification_challenges (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    metric      text NOT NULL CHECK (metric IN ('points', 'resolved', 'first_response', 'csat_5')),
    threshold   int NOT NULL CHECK (threshold BETWEEN 1 AND 1000000),
    first_day   date NOT NULL,
    last_day    date NOT NULL,
    queue_id    uuid,
    department  text CHECK (length(department) BETWEEN 1 AND 100),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    CHECK (last_day >= first_day AND last_day - first_day <= 366),
    CHECK (queue_id IS NULL OR department IS NULL),
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (created_by)
);
-- A tenant's challenges, latest first (a handful per tenant).
CREATE INDEX gamification_challenges_days_idx ON gamification_challenges (tenant_id, last_day);

CREATE TABLE gamification_runs (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    until      timestamptz NOT NULL
);

CREATE INDEX agent_activities_goal_idx ON agent_activities (tenant_id, at)
    WHERE kind = 'goal_reached';

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['gamification_settings', 'gamification_points',
                             'gamification_badges', 'gamification_challenges',
                             'gamification_runs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON gamification_settings, gamification_runs TO :app_role;
GRANT SELECT, INSERT, UPDATE, DELETE ON gamification_points, gamification_challenges
    TO :app_role;
GRANT SELECT, INSERT ON gamification_badges TO :app_role;
GRANT USAGE ON SEQUENCE gamification_points_id_seq TO :app_role;

-- The tenants whose points are on, for the pass (SECURITY DEFINER, ids only; no row: on).
CREATE FUNCTION gamification_tenants()
RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
    SELECT t.id FROM tenants t
      LEFT JOIN gamification_settings s ON s.tenant_id = t.id
     WHERE coalesce(s.enabled, true)
    $$;
REVOKE ALL ON FUNCTION gamification_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gamification_tenants() TO :app_role;
