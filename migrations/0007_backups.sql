-- 0007 backups: the history of backup, restore, verify and drill runs, and the schedule.
-- Why: monitoring needs the last success, durations, sizes and failures of every process's runs
-- in one place, and the schedule must be one setting shared by every daemon replica.
-- The backups themselves (and their manifests) live in storage, never here: a full in-place
-- restore rewinds this table with everything else, so storage is the truth about what exists.
-- Not tenant-owned (a run may cover every tenant): `scope_tenant_id` names the tenant of a
-- per-tenant run without making this a tenant table, and deliberately has no foreign key so the
-- history of a deleted tenant's backups survives it.

CREATE TABLE backup_runs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind             text NOT NULL CHECK (kind IN ('backup', 'restore', 'verify', 'drill')),
    scope            text NOT NULL CHECK (scope IN ('full', 'tenant')),
    scope_tenant_id  uuid,
    backup_id        text,
    trigger          text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'api', 'safety')),
    -- The cron slot a scheduled run fills: unique per kind, so two replicas firing the same slot
    -- record one run (the second insert conflicts and that replica skips).
    slot             timestamptz,
    status           text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'succeeded', 'failed', 'skipped')),
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    size_bytes       bigint,
    error            text,
    detail           jsonb NOT NULL DEFAULT '{}',
    CHECK ((scope = 'tenant') = (scope_tenant_id IS NOT NULL))
);
CREATE UNIQUE INDEX backup_runs_slot_idx ON backup_runs (kind, slot) WHERE slot IS NOT NULL;
CREATE INDEX backup_runs_kind_started_idx ON backup_runs (kind, started_at DESC);

-- One row: the schedule and retention every daemon follows (cron expressions or presets).
CREATE TABLE backup_schedule (
    id            boolean PRIMARY KEY DEFAULT true CHECK (id),
    enabled       boolean NOT NULL DEFAULT true,
    backup_cron   text NOT NULL DEFAULT 'daily',
    drill_cron    text DEFAULT 'weekly',
    keep_last     integer NOT NULL DEFAULT 7 CHECK (keep_last >= 1),
    keep_daily    integer NOT NULL DEFAULT 7 CHECK (keep_daily >= 0),
    keep_weekly   integer NOT NULL DEFAULT 4 CHECK (keep_weekly >= 0),
    keep_monthly  integer NOT NULL DEFAULT 6 CHECK (keep_monthly >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO backup_schedule DEFAULT VALUES;

-- The daemon reads both for /readyz and the backups API; only the owner role (the CLI and the
-- daemon's backup connection, both on database.admin_url) writes them.
GRANT SELECT ON backup_runs, backup_schedule TO :app_role;
