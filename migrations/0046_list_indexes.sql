-- 0046 two lists' missing indexes, found by their plan tests (session 12's review of optional
-- filters): an endpoint's dead letters, and the audit log searched by target.
--
-- An endpoint's dead letters in the list's order (tests/outbound_webhooks/test_plans.py).
-- Why: `pytake webhooks replay --all-dead --endpoint …` and `deliveries --endpoint E --state
-- dead` list one endpoint's dead letters newest first. webhook_deliveries_recent_idx has the
-- order but every delivery of the endpoint, and dead letters are usually old (they died after
-- their retries), so the page walked the endpoint's delivered history to reach them: 1,099
-- buffers for 50 rows among 20,000 delivered, in the plan for the values and in the generic
-- plan alike. webhook_deliveries_dead_idx holds only dead rows, but of every endpoint and
-- ordered by dead_at. This partial index holds an endpoint's dead rows in the list's order; a
-- replay writes a new row and leaves the dead one as it was, so it grows with the dead letters,
-- not with the deliveries.
CREATE INDEX webhook_deliveries_endpoint_dead_idx
    ON webhook_deliveries (tenant_id, endpoint_id, created_at DESC, seq DESC)
    WHERE state = 'dead';

-- The audit log searched by target (`GET /api/v1/audit?target=…`, tests/audit/test_plans.py):
-- no index had target_id, so the newest page of one target's entries walked the tenant's chain
-- from its newest entry until it had found 50 (837 buffers among 30,000 entries for a target
-- touched once a day; 1,368 in the generic plan). Read backward for the page's order (seq DESC).
CREATE INDEX audit_entries_target_idx ON audit_entries (tenant_id, target_id, seq);
