-- 0050 the message path stops planning its statements at every call, and leaves room for the
-- status updates of its messages (issue #16: PostgreSQL's share of an echoed message).
--
-- Why plan_cache_mode: a PL/pgSQL function's statements are prepared once per session, but
-- PostgreSQL still plans them again for each call's values as long as the plan for the values
-- looks cheaper than the generic one, and for these it always did (bench/echo.py --pg-stats,
-- with track_planning): the claim's UPDATE and take_event_numbers' nextval were planned at
-- every call. Their generic plans are the ones tests/test_plans_queues.py proves bounded; the
-- daemon asks the same of its stages' own statements per transaction (db/pool.py).
ALTER FUNCTION claim_jobs(text[], int, double precision) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION claim_outbox(int, double precision) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION claim_outbox_sends(int, double precision) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION take_event_numbers(int) SET plan_cache_mode = force_generic_plan;

-- Why fillfactor 90: an automated reply's row is updated right after it is written (Meta's id,
-- then sent, delivered, read). With full pages each update was a new row version on another
-- page, and a new entry in every index of messages (nine, a trigram index among them); with
-- room on the page, an update that changes no indexed column (the statuses) stays on the page
-- and touches no index (a HOT update). Existing pages keep their layout until rewritten; new
-- ones get the room.
ALTER TABLE messages SET (fillfactor = 90);
