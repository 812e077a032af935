-- 0024 goals can be removed: supervisors edit and delete goals from the console's dashboard
-- (issue #17); the app role had SELECT, INSERT and UPDATE on agent_goals since 0009, not DELETE.
GRANT DELETE ON agent_goals TO :app_role;
