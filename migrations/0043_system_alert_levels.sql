-- 0043 system alerts (issue 20, O2): the System screen's figures become notifications.
--
-- Why a table: every replica samples the figures, and those of the shared servers (PostgreSQL,
-- Redis, the queues) read the same in all of them; the level each figure was last seen at is
-- kept here, and only the replica whose update changes it tells the admins, so one crossing is
-- one notification however many replicas see it (pytake_daemon/system/alerts.py). A figure of
-- one machine or one process has its host (and port) in its key. Not a tenant's data: no
-- tenant_id, no row-level security (like backup_runs).
CREATE TABLE system_alert_levels (
    figure     text PRIMARY KEY,
    level      text NOT NULL CHECK (level IN ('ok', 'warn', 'error')),
    value      double precision NOT NULL,
    changed_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON system_alert_levels TO :app_role;

-- Whom to tell: every tenant's admins (the figures are the installation's, which serves them
-- all). Ids only, for the daemon's role, which row-level security keeps out of `tenants`.
CREATE FUNCTION system_alert_tenants()
RETURNS TABLE (tenant_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT t.id FROM tenants t $$;

REVOKE ALL ON FUNCTION system_alert_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION system_alert_tenants() TO :app_role;
