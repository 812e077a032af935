-- 0045 the unread list's own order (CI failure of 2026-12-05, tests/notifications/test_plans.py).
--
-- Why: an unread page ("read=false", newest first, 51 rows) had two ways in, both unbounded.
-- notifications_unread_idx (tenant, user, category) holds only the unread rows but not their
-- order, so the page is a bitmap scan and a sort; notifications_user_recent_idx has the order but
-- every row of the history, and the generic plan, guessing that unread rows are spread evenly,
-- walked a user's 20,000 read rows looking for unread ones older than the cursor. This partial
-- index has both: the unread rows only, in the page's order, so a page reads 51 entries however
-- long the history. notifications_unread_idx stays for the counts per category (index-only).
-- Only unread rows are in it: marking a notification read removes its entry.
CREATE INDEX notifications_unread_recent_idx
    ON notifications (tenant_id, user_id, created_at DESC, id DESC) WHERE read_at IS NULL;
