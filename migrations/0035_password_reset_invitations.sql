-- 0035 the console's admin area (issue 19, O1): password resets by invitation, and removing a
-- queue nothing points at.
--
-- An admin resets a user's password by sending them a new invitation code instead of typing a
-- password for them.
--
-- Why: a reset is an invitation in every way that matters — a single-use, expiring code stored
-- as a hash, e-mailed or shown once, accepted on the same unauthenticated path with the same
-- throttle — except that accepting it sets the password of an existing account (and ends its
-- sessions) instead of creating one. So it is a row of `invitations` that names that account,
-- not a second table with a second code lookup.
--
-- The foreign key deletes a reset with its user; `resets_user_id` is read only from a row
-- already found by id or code hash, so it needs no index.

ALTER TABLE invitations ADD COLUMN resets_user_id uuid;
ALTER TABLE invitations ADD FOREIGN KEY (tenant_id, resets_user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE;

-- Removing a queue (DELETE /api/v1/queues/{id}): the daemon deletes only a queue that never
-- held an item and that no queue or flow sends conversations to (queues/removal.py); until now
-- the app role could not delete queues at all.
GRANT DELETE ON queues TO :app_role;
