"""SQL of a report's attendance cohort: the attendances that entered a queue in the period, with
their figures in one pass (``GROUPING SETS``). Parameters as in ``reports.db`` ($1 to $5 the
scope), then ``$6`` the breakdown key, ``$7`` now, ``$8`` where the tenant's rolled-up
attendances end (``report_attendances``, migration 0044), clamped to the period.

The period's attendances that entered before ``$8`` and were final when the pass ran are read
from their rolled-up row (``report_attendances_entered_idx``); those that entered from ``$8``
on (``queue_items_entered_idx``) and those not final at the pass
(``report_attendances_open_idx``, then queue_items by key) are computed live with the very
expressions the pass uses (``FACTS``), so a report is exact whenever the pass last ran.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg

from pytake_daemon.db.pool import Connection
from pytake_daemon.reports.db import Scope, facts_until

# One attendance ``i`` (a queue_items row) as the reports judge it: its first reply by a person
# (messages_thread_idx, from the entry onwards: the scan stops at that reply), its rating
# (conversation_feedback's (tenant_id, item_id) key; one not given yet is NULL) and its
# transfers (queue_history_item_idx). Only a completed attendance is rated, only a taken or
# moved one transferred: the lookups are skipped for the others (CASE evaluates lazily).
FACTS = """
       i.id, i.queue_id, i.agent_id, i.conversation_id, i.status, i.entered_at, i.assigned_at,
       i.ended_at,
       (SELECT m.created_at FROM messages m
         WHERE m.tenant_id = i.tenant_id AND m.conversation_id = i.conversation_id
           AND m.created_at >= i.entered_at
           AND m.created_at <= coalesce(i.ended_at, 'infinity')
           AND m.direction = 'out' AND m.sent_by IS NOT NULL
         ORDER BY m.created_at LIMIT 1) AS answered_at,
       CASE WHEN i.status = 'completed' THEN (
           SELECT f.rating FROM conversation_feedback f
            WHERE f.tenant_id = i.tenant_id AND f.item_id = i.id) END AS rating,
       CASE WHEN i.assigned_at IS NOT NULL OR i.status = 'transferred' THEN (
           SELECT count(*) FROM queue_history h
            WHERE h.tenant_id = i.tenant_id AND h.item_id = i.id
              AND h.event IN ('transferred', 'reassigned'))::int ELSE 0 END AS transfers"""


def _drill(alias: str) -> str:
    return (
        f"($3::uuid IS NULL OR {alias}.queue_id = $3)"
        f" AND ($4::uuid IS NULL OR {alias}.agent_id = $4)"
        f" AND ($5::uuid IS NULL OR {alias}.conversation_id = $5)"
    )


# A rating answered after the pass (conversation_feedback_answered_idx from $8 on; a rating is
# given once) completes a rolled-up row that had none: the pass only sees the ones before it.
_ITEMS = f"""
WITH items AS (
    SELECT r.item_id AS id, r.queue_id, r.agent_id, r.conversation_id, r.status, r.entered_at,
           r.assigned_at, r.ended_at, r.answered_at,
           CASE WHEN r.status = 'completed' THEN coalesce(r.rating, late.rating) END AS rating,
           r.transfers
      FROM report_attendances r
      LEFT JOIN (SELECT f.item_id, f.rating FROM conversation_feedback f
                  WHERE f.tenant_id = current_tenant_id() AND f.rating IS NOT NULL
                    AND f.answered_at >= $8) late ON late.item_id = r.item_id
     WHERE r.tenant_id = current_tenant_id() AND r.final
       AND r.entered_at >= $1 AND r.entered_at < $8 AND {_drill("r")}
    UNION ALL
    SELECT {FACTS}
      FROM queue_items i
     WHERE i.tenant_id = current_tenant_id() AND i.entered_at >= $8 AND i.entered_at < $2
       AND {_drill("i")}
    UNION ALL
    SELECT {FACTS}
      FROM report_attendances o
      JOIN queue_items i ON i.tenant_id = o.tenant_id AND i.id = o.item_id
     WHERE o.tenant_id = current_tenant_id() AND NOT o.final
       AND o.entered_at >= $1 AND o.entered_at < $8 AND {_drill("i")}
)"""

# One pass, two groupings: the whole scope (key NULL, grouped = 1) and one row per key a level
# down ($6: queue, agent, conversation or item). SLA against the queue's current target
# (queues by key): met when a person answered within the target; missed when the answer came
# late, or none came and the customer waited longer than the target (until the item ended, or
# until $7, now); a transferred item is judged in its next queue.
ATTENDANCE = (
    _ITEMS
    + """, judged AS (
    SELECT items.*,
           CASE $6::text WHEN 'queue' THEN items.queue_id WHEN 'agent' THEN items.agent_id
                         WHEN 'conversation' THEN items.conversation_id ELSE items.id END AS key,
           CASE WHEN answered_at IS NOT NULL
                    THEN answered_at - entered_at
                         <= make_interval(secs => q.first_response_target_seconds)
                WHEN status <> 'transferred'
                 AND coalesce(ended_at, $7) - entered_at
                     > make_interval(secs => q.first_response_target_seconds)
                    THEN false END AS sla_met
      FROM items
      JOIN queues q ON q.tenant_id = current_tenant_id() AND q.id = items.queue_id
)
SELECT GROUPING(key) AS whole, key,
       count(*) AS entered,
       count(*) FILTER (WHERE assigned_at IS NOT NULL) AS assigned,
       count(*) FILTER (WHERE assigned_at IS NULL
                          AND status IN ('abandoned', 'timed_out')) AS abandoned,
       coalesce(sum(transfers), 0)::int AS transfers,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
           ORDER BY extract(epoch FROM answered_at - entered_at)::float8) AS first_response,
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (
           ORDER BY extract(epoch FROM ended_at - entered_at)::float8)
           FILTER (WHERE status = 'completed') AS resolution,
       count(*) FILTER (WHERE sla_met) AS sla_met,
       count(*) FILTER (WHERE NOT sla_met) AS sla_missed,
       avg(rating)::float8 AS csat_average,
       count(rating) AS ratings,
       min(entered_at) AS first_entered
  FROM judged
 GROUP BY GROUPING SETS ((), (key))
"""
)


async def attendance(
    conn: Connection, scope: Scope, breakdown: str, now: datetime
) -> list[asyncpg.Record]:
    until = await facts_until(conn, scope)
    rows: list[asyncpg.Record] = await conn.fetch(ATTENDANCE, *scope.args, breakdown, now, until)
    return rows
