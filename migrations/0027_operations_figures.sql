-- 0027 operations figures: what GET /metrics reads at scrape time, across tenants.
-- Why: queue depths and ages, per-queue counts and audit chain lengths are figures of the
-- whole installation, but the daemon's role sees one tenant at a time (row-level security).
-- These narrow SECURITY DEFINER functions return counts and timestamps only, never a row's
-- content, and each is bounded by an index (named below) and a cap, so a scrape costs the
-- same however long the history or however big a backlog (pytake_daemon/health/figures.py).

-- Per job kind: jobs queued (counted up to p_cap) and the oldest one's creation.
-- Both read jobs_claim_idx (kind, id): the count stops at p_cap, the oldest is its first entry.
CREATE FUNCTION ops_job_figures(p_kinds text[], p_cap int)
RETURNS TABLE (kind text, depth bigint, oldest timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT k.kind,
               (SELECT count(*) FROM (SELECT 1 FROM jobs j WHERE j.kind = k.kind
                                       ORDER BY j.id LIMIT p_cap) c),
               (SELECT j.created_at FROM jobs j WHERE j.kind = k.kind ORDER BY j.id LIMIT 1)
          FROM unnest(p_kinds) AS k(kind)
    $$;

-- The outbox: rows queued (up to p_cap) and the earliest next attempt, both in the claim's
-- order on outbox_claim_idx (next_attempt_at, seq).
CREATE FUNCTION ops_outbox_figures(p_cap int)
RETURNS TABLE (depth bigint, first_due timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT (SELECT count(*) FROM (SELECT 1 FROM outbox o
                                        ORDER BY o.next_attempt_at, o.seq LIMIT p_cap) c),
               (SELECT o.next_attempt_at FROM outbox o ORDER BY o.next_attempt_at, o.seq LIMIT 1)
    $$;

-- Per queue: items waiting (queue_items_waiting_idx, partial on status = 'waiting') and in
-- progress (queue_items_ended_idx (tenant_id, queue_id, ended_at): assigned items have no
-- ended_at yet). One probe of each per queue; queues are few per tenant.
CREATE FUNCTION ops_queue_figures()
RETURNS TABLE (tenant text, queue text, waiting bigint, in_progress bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT t.slug, q.name,
               (SELECT count(*) FROM queue_items i
                 WHERE i.tenant_id = q.tenant_id AND i.queue_id = q.id AND i.status = 'waiting'),
               (SELECT count(*) FROM queue_items i
                 WHERE i.tenant_id = q.tenant_id AND i.queue_id = q.id AND i.ended_at IS NULL
                   AND i.status = 'assigned')
          FROM queues q JOIN tenants t ON t.id = q.tenant_id
         WHERE q.active
    $$;

-- Per tenant: the audit chain's length, its last seq (audit_entries_pkey (tenant_id, seq),
-- read backwards: one index probe per tenant).
CREATE FUNCTION ops_audit_chains()
RETURNS TABLE (tenant text, entries bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT t.slug,
               coalesce((SELECT a.seq FROM audit_entries a WHERE a.tenant_id = t.id
                          ORDER BY a.seq DESC LIMIT 1), 0)
          FROM tenants t
    $$;

REVOKE ALL ON FUNCTION ops_job_figures(text[], int) FROM PUBLIC;
REVOKE ALL ON FUNCTION ops_outbox_figures(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION ops_queue_figures() FROM PUBLIC;
REVOKE ALL ON FUNCTION ops_audit_chains() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ops_job_figures(text[], int) TO :app_role;
GRANT EXECUTE ON FUNCTION ops_outbox_figures(int) TO :app_role;
GRANT EXECUTE ON FUNCTION ops_queue_figures() TO :app_role;
GRANT EXECUTE ON FUNCTION ops_audit_chains() TO :app_role;
