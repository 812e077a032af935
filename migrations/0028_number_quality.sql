-- 0028 number quality: what Meta last said about each business number's quality and limit.
-- Why: the `phone_number_quality_update` webhook (a WABA-level field) tells when a number is
-- flagged, downgraded or upgraded and what its messaging limit is; admins must hear of a drop
-- (a system notification) and `pytake numbers list` shows the state. The payload names the
-- number only by its display number (digits), never by phone_number_id
-- (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/
-- phone_number_quality_update), so the number is found among the tenant's live numbers of
-- that WABA by those digits (pytake_daemon/whatsapp/number_quality.py).
--
-- quality_event   Meta's last `event` (FLAGGED, UNFLAGGED, DOWNGRADE, UPGRADE, ONBOARDING,
--                 THROUGHPUT_UPGRADE…): kept as Meta spelled it, unknown values included.
-- quality_rating  GREEN / YELLOW / RED / NA when a payload carries one (Meta's own payload
--                 doesn't; some relays add it); NULL when never told.
-- messaging_limit the limit tier (max_daily_conversations_per_business, or the older
--                 current_limit), e.g. TIER_2K.
-- quality_at      when Meta said it (the entry's time): an older redelivery never overwrites a
--                 newer state.
ALTER TABLE whatsapp_numbers
    ADD COLUMN quality_event   text,
    ADD COLUMN quality_rating  text,
    ADD COLUMN messaging_limit text,
    ADD COLUMN quality_at      timestamptz;
