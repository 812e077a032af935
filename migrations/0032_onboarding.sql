-- 0032 onboarding (issue 19, OB1/OB2): the tenant's business profile and the seven-step
-- onboarding wizard's state.
--
-- Why, 1: a tenant had only a slug and a name; its business hours lived in each queue and its
-- language in the AI's settings. `tenant_profiles` is the one place for what describes the
-- business (name, segment, IANA time zone, language, weekly hours): the wizard's first step
-- writes it, the queue template and the flow choice read its segment, and the configuration
-- export reads it. One row per tenant, created on the first PUT (a tenant without one has the
-- defaults the API shows).
--
-- Why, 2: the wizard's state is on the server, one row per tenant and step, so another admin
-- can continue where the first stopped and the console's progress widget can show it. `data`
-- is the step's non-secret outcome only (ids, names, what each check said): a number's token
-- and secrets go to whatsapp_numbers, encrypted, and never here.
--
-- Both are read by tenant and primary key only (a handful of rows per tenant).

CREATE TABLE tenant_profiles (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    business_name   text NOT NULL CHECK (length(business_name) BETWEEN 1 AND 200),
    segment         text NOT NULL CHECK (segment IN
                        ('retail', 'restaurant', 'clinic', 'education', 'services', 'other')),
    timezone        text NOT NULL CHECK (length(timezone) BETWEEN 1 AND 64),
    language        text NOT NULL CHECK (language IN ('pt_BR', 'en')),
    business_hours  jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_by      uuid,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (updated_by)
);

ALTER TABLE tenant_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_profiles
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

CREATE TABLE onboarding_steps (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    step        text NOT NULL CHECK (step IN
                    ('profile', 'number', 'team', 'queues', 'automation', 'defaults', 'go_live')),
    status      text NOT NULL CHECK (status IN ('pending', 'done', 'skipped')),
    data        jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_by  uuid,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, step),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
        ON DELETE SET NULL (updated_by)
);

ALTER TABLE onboarding_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE onboarding_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON onboarding_steps
    USING (tenant_id = current_tenant_id()) WITH CHECK (tenant_id = current_tenant_id());

GRANT SELECT, INSERT, UPDATE ON tenant_profiles, onboarding_steps TO :app_role;
