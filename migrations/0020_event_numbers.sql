-- 0020 per-tenant event numbers from a sequence, not from a row every writer queues on.
-- Why: events were numbered with `UPDATE tenant_event_seq SET seq = seq + n` inside the
-- transaction that caused them, so every such transaction (a webhook batch with status
-- callbacks, the fan-out, each accepted send) held the tenant's one row until its commit, WAL
-- flush included, and the next one waited: in bench/echo.py at 80 echoes/s that UPDATE averaged
-- 3–8 ms of waiting per call and the largest share of PostgreSQL's execution time, and a
-- transaction waiting for it kept its conversation locks, so the webhook writer waited behind
-- it in turn (issue 16). nextval() never waits for another transaction.
--
-- What clients are promised stays: numbers only go up per tenant and a number skipped is a
-- gap they resync on. Numbers are taken as the last statement before the commit; a transaction
-- that took some and then rolled back leaves a gap (clients resync once); two transactions that
-- commit in the other order than they took their numbers are put back in order by each
-- process's ordering point (realtime/ordering.py).
--
-- The Hello a client gets when it connects carries the number its REST reads start from. A
-- number may be taken by a transaction that has not committed yet; so every numbering
-- transaction holds a *shared* advisory lock on its tenant until it ends, and
-- current_event_seq() reads the sequence and then takes the *exclusive* lock once: it returns
-- only when every transaction holding a number up to the one it read has ended. Shared locks
-- don't conflict with each other, so numbering transactions never wait for each other.
--
-- A tenant's sequence is created on first use (numbering it continues from its
-- tenant_event_seq row, which stays as the base for tenants numbered before 0020 and for
-- restored tenant archives); the functions run as their owner, so the daemon's role needs no
-- right to create or read sequences.

CREATE FUNCTION event_seq_name(p_tenant uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 'tenant_events_' || replace(p_tenant::text, '-', '') $$;

CREATE FUNCTION ensure_event_seq(p_tenant uuid) RETURNS regclass
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    base bigint;
BEGIN
    -- One creator per tenant; the others find it once the first has committed.
    PERFORM pg_advisory_xact_lock(7310003, hashtext(p_tenant::text));
    IF to_regclass(event_seq_name(p_tenant)) IS NULL THEN
        SELECT coalesce(max(s.seq), 0) INTO base FROM tenant_event_seq s
         WHERE s.tenant_id = p_tenant;
        BEGIN
            EXECUTE format('CREATE SEQUENCE %I AS bigint START WITH %s MINVALUE 0',
                           event_seq_name(p_tenant), base + 1);
        EXCEPTION WHEN duplicate_table THEN
            -- Created by a transaction that committed while this one waited for the lock (an
            -- advisory lock doesn't refresh this backend's catalog cache, CREATE does).
            NULL;
        END;
    END IF;
    RETURN to_regclass(event_seq_name(p_tenant))::regclass;
END
$$;

CREATE FUNCTION take_event_numbers(p_count int) RETURNS bigint[]
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    t uuid := current_tenant_id();
    seq regclass;
BEGIN
    IF t IS NULL THEN
        RAISE EXCEPTION 'take_event_numbers: no tenant is set';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(7310002, hashtext(t::text));
    seq := to_regclass(event_seq_name(t));
    IF seq IS NULL THEN
        seq := ensure_event_seq(t);
    END IF;
    RETURN ARRAY(SELECT nextval(seq) FROM generate_series(1, p_count));
END
$$;

CREATE FUNCTION current_event_seq() RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    t uuid := current_tenant_id();
    seq regclass;
    last bigint;
BEGIN
    IF t IS NULL THEN
        RAISE EXCEPTION 'current_event_seq: no tenant is set';
    END IF;
    seq := to_regclass(event_seq_name(t));
    IF seq IS NOT NULL THEN
        last := pg_sequence_last_value(seq);
        -- Until every transaction that may hold a number up to `last` has ended.
        PERFORM pg_advisory_xact_lock(7310002, hashtext(t::text));
    END IF;
    IF last IS NULL THEN
        SELECT coalesce(max(s.seq), 0) INTO last FROM tenant_event_seq s WHERE s.tenant_id = t;
    END IF;
    RETURN last;
END
$$;

REVOKE ALL ON FUNCTION ensure_event_seq(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION take_event_numbers(int) FROM PUBLIC;
REVOKE ALL ON FUNCTION current_event_seq() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION take_event_numbers(int) TO :app_role;
GRANT EXECUTE ON FUNCTION current_event_seq() TO :app_role;
