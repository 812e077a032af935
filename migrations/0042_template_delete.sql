-- 0042 template deletion (issue 19): the daemon deletes its copy of a template Meta deleted.
--
-- Why: DELETE /api/v1/whatsapp/templates/{id} deletes the template at Meta (by name and
-- hsm_id, so one language goes) and then the local row, in the daemon's own role. Until now
-- only the owner role deleted template rows (a configuration import). Row-level security still
-- keeps the role to its tenant's rows.
GRANT DELETE ON templates TO :app_role;
