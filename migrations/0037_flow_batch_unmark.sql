-- 0037 a fan-out batch marks its customer messages processed in one statement before their
-- flow steps run (pytake_daemon/flows/batch_db.py); a step that then fails is rolled back to
-- its savepoint and retried as a `flow_inbound` job of its own, which must find the message
-- unprocessed. So the daemon may delete a processed key, only ever its own tenant's (the
-- table's row-level security policy), and only for that one message in that transaction.
GRANT DELETE ON flow_processed_messages TO :app_role;
