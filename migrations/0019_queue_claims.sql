-- 0019 the queue claims read what they claim, not the whole table; autovacuum keeps up with
-- the queue tables.
-- Why: claim_jobs() and claim_outbox() chose their rows in a subquery and updated them through
-- `id IN (subquery)`, which PostgreSQL ran as a hash join against a sequential scan of the table,
-- and claim_outbox() chose each conversation's head with DISTINCT ON over the whole outbox (a
-- second full scan). A queue table keeps its size after a backlog drains (VACUUM frees pages, it
-- doesn't give them back), so every claim read every page the biggest backlog ever left, dead
-- rows included: 35,000 buffers per claim_jobs() after ANALYZE on a table of 3,417 dead rows to
-- 51 live (issue 16). Now the rows are chosen by an ordered index scan that stops after
-- p_limit claimable rows, and updated through `= ANY (ARRAY(...))`, a primary-key lookup each.
-- tests/test_plans_queues.py proves both on a churned table.
--
-- jobs_claim_idx (kind, id): a claim asks for one kind's oldest due rows (the runner has a loop
-- per kind); this is that order, so the scan stops at p_limit. jobs_due_idx stays for kinds that
-- are mostly future (timers): there the planner reads only what is due.
-- outbox_claim_idx (next_attempt_at, seq) replaces outbox_due_idx (next_attempt_at,
-- created_at): the claim's order is (next_attempt_at, seq) (0015: created_at is equal for every
-- row a transaction queues), and a conversation's head is checked with one probe of
-- outbox_conversation_idx instead of DISTINCT ON over every row.
--
-- Storage: a job or outbox row is inserted, leased (an UPDATE of locked_until and attempts)
-- and deleted within seconds, so these tables are almost all dead rows at line rate.
-- * fillfactor = 50: each row is updated once or twice (the lease, maybe a retry) in its life;
--   half of each page left free lets that update stay on the page (HOT: no new index entries,
--   reclaimed by page pruning without a vacuum). The tables hold dozens of live rows, so twice
--   the pages cost nothing.
-- * autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000: the default
--   (50 + 20 % of the rows) grows with the backlog a queue once had (reltuples), so after a
--   backlog of 100,000 rows a vacuum came only after 20,000 dead ones; now every 1,000 dead rows
--   (a few dozen pages, a handful of index leaf pages for a claim to step over), whatever size
--   the table had.
-- * autovacuum_vacuum_cost_delay = 0: the default throttle (2 ms per 200 cost units) makes the
--   vacuum of a hot queue last long enough for dead rows to pile up again; these tables are a
--   few hundred pages, a vacuum of them takes milliseconds unthrottled.
-- * autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000: statistics of a
--   queue swing from empty to a backlog and back; re-estimating after 1,000 changes is cheap.
-- autovacuum_naptime (how often autovacuum looks, 1 min by default) is server-wide: between
-- two visits the claims step over the dead rows' index entries, which the first scan that sees
-- them dead marks killed, so later claims skip them without reading the table.
-- message_statuses and webhook_events are insert-only (ON CONFLICT DO NOTHING), so they keep
-- the defaults.

CREATE INDEX jobs_claim_idx ON jobs (kind, id);
CREATE INDEX outbox_claim_idx ON outbox (next_attempt_at, seq);
DROP INDEX outbox_due_idx;

ALTER TABLE jobs SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
                      autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0,
                      autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);
ALTER TABLE outbox SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0,
                        autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0,
                        autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);

CREATE OR REPLACE FUNCTION claim_jobs(p_kinds text[], p_limit int, p_lease_seconds double precision)
RETURNS SETOF jobs
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        UPDATE jobs j
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = j.attempts + 1
         WHERE j.id = ANY (ARRAY(
                   SELECT d.id
                     FROM unnest(p_kinds) AS k (kind),
                          LATERAL (SELECT id FROM jobs
                                    WHERE kind = k.kind AND run_after <= now()
                                      AND (locked_until IS NULL OR locked_until < now())
                                    ORDER BY id
                                    LIMIT p_limit
                                    FOR UPDATE SKIP LOCKED) AS d
                    ORDER BY d.id
                    LIMIT p_limit))
        RETURNING j.*
    $$;

CREATE OR REPLACE FUNCTION claim_outbox(p_limit int, p_lease_seconds double precision)
RETURNS SETOF outbox
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        UPDATE outbox o
           SET locked_until = now() + make_interval(secs => p_lease_seconds),
               attempts = o.attempts + 1
         WHERE o.message_id = ANY (ARRAY(
                   SELECT h.message_id FROM outbox h
                    WHERE h.next_attempt_at <= now()
                      AND (h.locked_until IS NULL OR h.locked_until < now())
                      -- Only the oldest unsent row of a conversation (0015): a correlated
                      -- subquery, one probe per candidate (as NOT EXISTS it became a hash
                      -- anti-join over the whole table).
                      AND h.seq = (SELECT min(e.seq) FROM outbox e
                                    WHERE e.conversation_id = h.conversation_id)
                    ORDER BY h.next_attempt_at, h.seq
                    LIMIT p_limit))
           -- Re-checked on the latest row version: two claimers racing for one head row
           -- can't both lease it.
           AND (o.locked_until IS NULL OR o.locked_until < now())
        RETURNING o.*
    $$;

-- claim_outbox_sends() (0018) reads the claimed rows' messages, conversations, numbers and
-- contacts by key, at most p_limit rows; planned without its values inside the function,
-- its joins were free to become hash joins over sequential scans of messages across tenants
-- (13,422 pages for 32 rows in tests/test_plans_queues.py once the test database held a few
-- hundred thousand messages). With these off for the function alone, every join is a
-- primary-key probe.
ALTER FUNCTION claim_outbox_sends(int, double precision)
    SET enable_seqscan = off SET enable_hashjoin = off SET enable_mergejoin = off;
