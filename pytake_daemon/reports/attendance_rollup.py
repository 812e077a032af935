"""The roll-up of each attendance's facts (``report_attendances``, migration 0044) and of the
closures per quarter of an hour (``report_closures``), a step of the reports' background pass
(``rollup.py``), in its transaction and under its lock. ``report_rollups.facts_until`` says
where both end (NULL: not yet, the first run covers the whole history).

Each run, per tenant, upserts the attendances that entered from an hour before where the last
run ended up to the pass's ``until`` (excluded), and recomputes every row that wasn't final:
an attendance still open, or one that ended within the hour before ``until`` (a message whose
transaction commits a little after its ``created_at`` is still seen). A final row is left
alone except for its rating, which is taken from the ratings answered since an hour before
the last run. Re-running changes nothing: every value is recomputed from the source rows,
never added to. Reports read final rows and compute the rest live (``attendance_db``).

Closures are settled once written (a flow's closure looks back only): the quarters from an
hour before the last run up to ``until`` are recomputed by upsert, as the messages' are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pytake_daemon.db.pool import Connection
from pytake_daemon.reports.attendance_db import FACTS
from pytake_daemon.reports.db import AUTOMATED

_DONE = "SELECT facts_until FROM report_rollups WHERE tenant_id = current_tenant_id()"
# $1 the recompute's start (entered_at; '-infinity' the first time), $2 until, $3 the instant
# before which an ending makes a row final. Entered in [$1, $2) by queue_items_entered_idx,
# the open rows by report_attendances_open_idx; in entry order, so the table's pages follow
# the index reports read it by.
_ROLL = f"""
INSERT INTO report_attendances (tenant_id, item_id, queue_id, agent_id, conversation_id,
                                status, entered_at, assigned_at, ended_at, answered_at, rating,
                                transfers, final)
SELECT current_tenant_id(), x.id, x.queue_id, x.agent_id, x.conversation_id, x.status,
       x.entered_at, x.assigned_at, x.ended_at, x.answered_at, x.rating, x.transfers,
       coalesce(x.ended_at < $3, false)
  FROM (SELECT {FACTS}
          FROM queue_items i
         WHERE i.tenant_id = current_tenant_id() AND i.entered_at >= $1 AND i.entered_at < $2
        UNION ALL
        SELECT {FACTS}
          FROM report_attendances o
          JOIN queue_items i ON i.tenant_id = o.tenant_id AND i.id = o.item_id
         WHERE o.tenant_id = current_tenant_id() AND NOT o.final AND o.entered_at < $1) x
 ORDER BY x.entered_at
ON CONFLICT (tenant_id, item_id) DO UPDATE SET
    queue_id = excluded.queue_id, agent_id = excluded.agent_id, status = excluded.status,
    assigned_at = excluded.assigned_at, ended_at = excluded.ended_at,
    answered_at = excluded.answered_at, rating = excluded.rating,
    transfers = excluded.transfers, final = excluded.final
"""  # noqa: S608 - FACTS is a constant of attendance_db, no value is inlined
# Ratings answered since $1 (conversation_feedback_answered_idx) onto the final rows the upsert
# didn't touch; a rating is given once, so this only ever fills a NULL.
_RATINGS = """
UPDATE report_attendances r SET rating = f.rating
  FROM conversation_feedback f
 WHERE f.tenant_id = current_tenant_id() AND f.rating IS NOT NULL AND f.answered_at >= $1
   AND r.tenant_id = f.tenant_id AND r.item_id = f.item_id AND r.status = 'completed'
   AND r.rating IS DISTINCT FROM f.rating
"""
# Closures in [$1, $2) (conversation_events_kind_idx) per quarter ($3: the quarters' origin).
_CLOSURES = f"""
INSERT INTO report_closures (tenant_id, quarter, closed, automated)
SELECT current_tenant_id(), date_bin('15 minutes', e.created_at, $3), count(*), {AUTOMATED}
  FROM conversation_events e
 WHERE e.tenant_id = current_tenant_id() AND e.kind = 'closed'
   AND e.created_at >= $1 AND e.created_at < $2
 GROUP BY 2
ON CONFLICT (tenant_id, quarter) DO UPDATE SET
    closed = excluded.closed, automated = excluded.automated
"""  # noqa: S608 - AUTOMATED is a constant of reports.db, no value is inlined
_MARK = "UPDATE report_rollups SET facts_until = $1 WHERE tenant_id = current_tenant_id()"


async def roll_up_facts(
    conn: Connection, until: datetime, recompute: timedelta, origin: datetime
) -> None:
    """Bring the tenant's attendance rows and closure quarters up to ``until`` (its
    ``report_rollups`` row exists: the quarters' step wrote it first); ``origin`` is an instant
    the quarters are counted from."""
    done: datetime | None = await conn.fetchval(_DONE)
    start = done - recompute if done is not None else datetime.min.replace(tzinfo=until.tzinfo)
    await conn.execute(_ROLL, start, until, until - recompute)
    if done is not None:
        await conn.execute(_RATINGS, start)
    # The quarters' own start: `until` is a quarter's, an hour before it too.
    await conn.execute(_CLOSURES, start, until, origin)
    await conn.execute(_MARK, until)
