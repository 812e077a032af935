-- 0009 queues: human queues, agents, queue items and their history, hourly metrics, goals,
-- the agents' activity timeline and satisfaction ratings.
-- Why this shape: automatic distribution runs in several tasks and several daemon processes at
-- once, so its two promises are kept by PostgreSQL itself, not by the code that assigns:
--   * one active item (waiting or assigned) per conversation: a partial unique index;
--   * never more active conversations than an agent's capacity: `agents.active_count` is kept
--     by a trigger on `queue_items` in the same transaction as the assignment, under
--     CHECK (active_count <= capacity); the UPDATE takes the agent's row lock, so two
--     concurrent assignments to one agent are serialised and the second one is checked against
--     the first one's count.
-- The same trigger keeps `conversations.assigned_user_id` in step with the assignment (the bot
-- stays silent on assigned conversations, and the inbox filters by it).

CREATE TABLE queues (
    tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                      uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    name                    text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description             text NOT NULL DEFAULT '',
    department              text,
    required_skills         text[] NOT NULL DEFAULT '{}',
    policy                  text NOT NULL DEFAULT 'round_robin'
                            CHECK (policy IN ('round_robin', 'least_loaded')),
    active                  boolean NOT NULL DEFAULT true,
    max_wait_minutes        int NOT NULL DEFAULT 30 CHECK (max_wait_minutes BETWEEN 1 AND 10080),
    max_size                int NOT NULL DEFAULT 1000 CHECK (max_size BETWEEN 1 AND 1000000),
    timeout_action          text NOT NULL DEFAULT 'keep_waiting'
                            CHECK (timeout_action IN ('abandon', 'move', 'return_to_bot',
                                                      'keep_waiting')),
    timeout_queue_id        uuid,
    overflow_action         text NOT NULL DEFAULT 'reject'
                            CHECK (overflow_action IN ('reject', 'divert')),
    overflow_queue_id       uuid,
    timezone                text NOT NULL DEFAULT 'UTC',
    -- {"mon": [["09:00", "18:00"]], ...}; NULL means always open.
    business_hours          jsonb,
    holidays                date[] NOT NULL DEFAULT '{}',
    out_of_hours_action     text NOT NULL DEFAULT 'wait'
                            CHECK (out_of_hours_action IN ('wait', 'divert')),
    out_of_hours_queue_id   uuid,
    welcome_message         text NOT NULL DEFAULT '',
    position_message        text NOT NULL DEFAULT '',
    out_of_hours_message    text NOT NULL DEFAULT '',
    timeout_message         text NOT NULL DEFAULT '',
    full_message            text NOT NULL DEFAULT '',
    position_update_seconds int NOT NULL DEFAULT 120 CHECK (position_update_seconds >= 10),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name),
    FOREIGN KEY (tenant_id, timeout_queue_id) REFERENCES queues (tenant_id, id),
    FOREIGN KEY (tenant_id, overflow_queue_id) REFERENCES queues (tenant_id, id),
    FOREIGN KEY (tenant_id, out_of_hours_queue_id) REFERENCES queues (tenant_id, id)
);

-- An agent is a user of the tenant (same id), with what distribution needs to know.
CREATE TABLE agents (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL,
    status             text NOT NULL DEFAULT 'offline'
                       CHECK (status IN ('online', 'offline', 'busy', 'away', 'break')),
    status_changed_at  timestamptz NOT NULL DEFAULT now(),
    capacity           int NOT NULL DEFAULT 3 CHECK (capacity BETWEEN 0 AND 1000),
    active_count       int NOT NULL DEFAULT 0,
    skills             text[] NOT NULL DEFAULT '{}',
    departments        text[] NOT NULL DEFAULT '{}',
    -- Same shape as queues.business_hours, in the agent's own time zone; NULL: any time.
    working_hours      jsonb,
    timezone           text NOT NULL DEFAULT 'UTC',
    busy_at_capacity   boolean NOT NULL DEFAULT false,
    last_assigned_at   timestamptz,
    last_activity_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT agents_within_capacity CHECK (active_count >= 0 AND active_count <= capacity)
);
CREATE INDEX agents_available_idx ON agents (tenant_id, status) WHERE status = 'online';

CREATE TABLE queue_items (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    queue_id         uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    priority         smallint NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 2),
    status           text NOT NULL DEFAULT 'waiting'
                     CHECK (status IN ('waiting', 'assigned', 'completed', 'abandoned',
                                       'timed_out', 'transferred')),
    agent_id         uuid,
    source           text NOT NULL DEFAULT 'api',
    fallback_action  text NOT NULL
                     CHECK (fallback_action IN ('abandon', 'move', 'return_to_bot',
                                                'keep_waiting')),
    entered_at       timestamptz NOT NULL DEFAULT now(),
    wait_deadline    timestamptz,
    assigned_at      timestamptz,
    ended_at         timestamptz,
    last_position    int,
    position_sent_at timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id),
    CHECK (status <> 'assigned' OR agent_id IS NOT NULL)
);
-- At most one active item per conversation, whatever assigns or enqueues it.
CREATE UNIQUE INDEX queue_items_one_active_idx ON queue_items (tenant_id, conversation_id)
    WHERE status IN ('waiting', 'assigned');
-- What distribution claims: a queue's waiting items, urgent first, then longest waiting.
CREATE INDEX queue_items_waiting_idx ON queue_items
    (tenant_id, queue_id, priority DESC, entered_at, id) WHERE status = 'waiting';
CREATE INDEX queue_items_deadline_idx ON queue_items (wait_deadline)
    WHERE status = 'waiting' AND wait_deadline IS NOT NULL;
CREATE INDEX queue_items_agent_idx ON queue_items (tenant_id, agent_id, assigned_at);
CREATE INDEX queue_items_ended_idx ON queue_items (tenant_id, queue_id, ended_at);

CREATE FUNCTION queue_items_track_assignment() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    was_active boolean := TG_OP = 'UPDATE' AND OLD.status = 'assigned';
    is_active boolean := NEW.status = 'assigned';
BEGIN
    IF was_active AND (NOT is_active OR NEW.agent_id IS DISTINCT FROM OLD.agent_id) THEN
        UPDATE agents SET active_count = active_count - 1
         WHERE tenant_id = OLD.tenant_id AND id = OLD.agent_id;
        UPDATE conversations SET assigned_user_id = NULL, updated_at = now()
         WHERE tenant_id = OLD.tenant_id AND id = OLD.conversation_id
           AND assigned_user_id = OLD.agent_id;
    END IF;
    IF is_active AND (NOT was_active OR NEW.agent_id IS DISTINCT FROM OLD.agent_id) THEN
        -- Fails with agents_within_capacity when the agent is full.
        UPDATE agents SET active_count = active_count + 1, last_assigned_at = NEW.assigned_at
         WHERE tenant_id = NEW.tenant_id AND id = NEW.agent_id;
        UPDATE conversations SET assigned_user_id = NEW.agent_id, updated_at = now()
         WHERE tenant_id = NEW.tenant_id AND id = NEW.conversation_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER queue_items_track_assignment
    AFTER INSERT OR UPDATE OF status, agent_id ON queue_items
    FOR EACH ROW EXECUTE FUNCTION queue_items_track_assignment();

-- Every transition of every item, as it happened (the live monitor's "recent history").
CREATE TABLE queue_history (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               bigserial PRIMARY KEY,
    item_id          uuid NOT NULL,
    queue_id         uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    event            text NOT NULL
                     CHECK (event IN ('entered', 'assigned', 'reassigned', 'transferred',
                                      'completed', 'abandoned', 'timed_out')),
    agent_id         uuid,
    actor_id         uuid,
    detail           jsonb NOT NULL DEFAULT '{}',
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queue_history_queue_idx ON queue_history (tenant_id, queue_id, at DESC);
CREATE INDEX queue_history_item_idx ON queue_history (tenant_id, item_id);

-- Hourly aggregates per queue, written by the scheduler (one process, advisory lock).
CREATE TABLE queue_metrics (
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id            uuid NOT NULL,
    hour                timestamptz NOT NULL,
    entries             int NOT NULL,
    exits               int NOT NULL,
    assigned            int NOT NULL,
    abandoned           int NOT NULL,
    avg_wait_seconds    double precision,
    avg_handle_seconds  double precision,
    abandonment_rate    double precision,
    computed_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, queue_id, hour),
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE agent_goals (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    agent_id     uuid,
    department   text,
    kind         text NOT NULL CHECK (kind IN ('daily_conversations', 'satisfaction',
                                               'response_time', 'efficiency', 'quality')),
    target       double precision NOT NULL CHECK (target > 0),
    period       text NOT NULL CHECK (period IN ('day', 'week', 'month')),
    deadline     date,
    -- Start of the last period in which the goal was reached: "goal reached" fires once each.
    reached_for  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE,
    CHECK ((agent_id IS NULL) <> (department IS NULL))
);

CREATE TABLE agent_activities (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               bigserial PRIMARY KEY,
    agent_id         uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('conversation_started', 'conversation_finished',
                                                   'goal_reached', 'feedback_received',
                                                   'status_changed')),
    conversation_id  uuid,
    detail           jsonb NOT NULL DEFAULT '{}',
    at               timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX agent_activities_agent_idx ON agent_activities (tenant_id, agent_id, id DESC);

-- One rating request per finished assignment; rating stays NULL until the customer answers.
CREATE TABLE conversation_feedback (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    item_id          uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    agent_id         uuid NOT NULL,
    rating           smallint CHECK (rating BETWEEN 1 AND 5),
    comment          text,
    asked_at         timestamptz NOT NULL DEFAULT now(),
    answered_at      timestamptz,
    UNIQUE (tenant_id, item_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES queue_items (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, agent_id) REFERENCES agents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX conversation_feedback_open_idx ON conversation_feedback (tenant_id, conversation_id)
    WHERE rating IS NULL;
CREATE INDEX conversation_feedback_agent_idx ON conversation_feedback (tenant_id, agent_id,
    answered_at);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['queues', 'agents', 'queue_items', 'queue_history', 'queue_metrics',
                             'agent_goals', 'agent_activities', 'conversation_feedback']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = current_tenant_id())'
                       ' WITH CHECK (tenant_id = current_tenant_id())', t);
    END LOOP;
END $$;

-- Cross-tenant lookups for the periodic sweep (SECURITY DEFINER, ids only): which tenants have
-- waiting items, and which have items past their wait deadline.
CREATE FUNCTION queue_sweep_targets(p_now timestamptz)
RETURNS TABLE (tenant_id uuid, queue_id uuid, overdue boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT i.tenant_id, i.queue_id, bool_or(i.wait_deadline <= p_now)
          FROM queue_items i WHERE i.status = 'waiting'
         GROUP BY i.tenant_id, i.queue_id
    $$;

-- Every tenant with queues, for the hourly aggregation.
CREATE FUNCTION queue_tenants()
RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT DISTINCT q.tenant_id FROM queues q $$;

REVOKE ALL ON FUNCTION queue_sweep_targets(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION queue_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION queue_sweep_targets(timestamptz) TO :app_role;
GRANT EXECUTE ON FUNCTION queue_tenants() TO :app_role;

GRANT SELECT, INSERT, UPDATE ON queues, agents, queue_items, agent_goals, conversation_feedback,
    queue_metrics TO :app_role;
GRANT SELECT, INSERT ON queue_history, agent_activities TO :app_role;
GRANT USAGE ON SEQUENCE queue_history_id_seq, agent_activities_id_seq TO :app_role;
