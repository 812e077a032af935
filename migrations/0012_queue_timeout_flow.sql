-- 0012 queue timeout flow: a queue's wait timeout may start a flow for the conversation
-- (`timeout_action = 'start_flow'`, the flow in `timeout_flow_id`). The flow is checked to be
-- published when the queue is saved; it is read again when the timeout fires (an archived flow
-- then starts nothing and the daemon logs why), so the reference is a plain same-tenant key.

ALTER TABLE queues ADD COLUMN timeout_flow_id uuid;
ALTER TABLE queues ADD CONSTRAINT queues_timeout_flow_fkey
    FOREIGN KEY (tenant_id, timeout_flow_id) REFERENCES flows (tenant_id, id);

ALTER TABLE queues DROP CONSTRAINT queues_timeout_action_check;
ALTER TABLE queues ADD CONSTRAINT queues_timeout_action_check
    CHECK (timeout_action IN ('abandon', 'move', 'return_to_bot', 'keep_waiting', 'start_flow'));
ALTER TABLE queues ADD CONSTRAINT queues_timeout_flow_check
    CHECK (timeout_action <> 'start_flow' OR timeout_flow_id IS NOT NULL);

ALTER TABLE queue_items DROP CONSTRAINT queue_items_fallback_action_check;
ALTER TABLE queue_items ADD CONSTRAINT queue_items_fallback_action_check
    CHECK (fallback_action IN ('abandon', 'move', 'return_to_bot', 'keep_waiting', 'start_flow'));
