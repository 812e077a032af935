"""``GET /api/v1/ai/insights``: aggregates over a tenant's analysed messages (SQL does the work)."""

from __future__ import annotations

from pytake_daemon.db import rows
from pytake_daemon.db.pool import Connection
from pytake_daemon.protocol.ai import (
    AgentMood,
    DayMood,
    Insights,
    LabelCounts,
    NamedCount,
    QueueMood,
    TurnedNegative,
)

_DISTRIBUTION = """
SELECT sentiment_label, count(*) AS n FROM ai_message_analysis
 WHERE analyzed_at >= now() - make_interval(days => $1) GROUP BY 1
"""

_BY_DAY = """
SELECT (analyzed_at AT TIME ZONE 'UTC')::date AS day, avg(sentiment)::float8 AS average,
       count(*) FILTER (WHERE sentiment_label = 'positive') AS positive,
       count(*) FILTER (WHERE sentiment_label = 'neutral') AS neutral,
       count(*) FILTER (WHERE sentiment_label = 'negative') AS negative
  FROM ai_message_analysis
 WHERE analyzed_at >= now() - make_interval(days => $1)
 GROUP BY 1 ORDER BY 1
"""

_BY_AGENT = """
SELECT c.assigned_user_id AS agent_id, u.name AS agent_name, avg(a.sentiment)::float8 AS average,
       count(*) AS messages
  FROM ai_message_analysis a JOIN conversations c ON c.id = a.conversation_id
  LEFT JOIN users u ON u.id = c.assigned_user_id
 WHERE a.analyzed_at >= now() - make_interval(days => $1)
 GROUP BY 1, 2 ORDER BY 4 DESC, 2
"""

# A message counts for the queue its conversation was in when it was analysed (a conversation
# may pass through several queues; one outside any queue counts for none).
_BY_QUEUE = """
SELECT q.id AS queue_id, q.name AS queue_name, avg(a.sentiment)::float8 AS average,
       count(*) AS messages
  FROM ai_message_analysis a
  JOIN queue_items qi ON qi.conversation_id = a.conversation_id
   AND qi.entered_at <= a.analyzed_at AND (qi.ended_at IS NULL OR qi.ended_at > a.analyzed_at)
  JOIN queues q ON q.id = qi.queue_id
 WHERE a.analyzed_at >= now() - make_interval(days => $1)
 GROUP BY 1, 2 ORDER BY 4 DESC, 2
"""

_TOP_INTENTS = """
SELECT intent AS name, count(*) AS count FROM ai_message_analysis
 WHERE analyzed_at >= now() - make_interval(days => $1)
 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10
"""

_ALERTS_BY_RULE = """
SELECT rule AS name, count(*) AS count FROM ai_alerts
 WHERE created_at >= now() - make_interval(days => $1)
 GROUP BY 1 ORDER BY 2 DESC, 1
"""

_TURNED_NEGATIVE = """
SELECT m.conversation_id, ct.profile_name AS contact_name, m.score::float8 AS score,
       m.negative_since AS since
  FROM ai_conversation_mood m
  JOIN conversations c ON c.id = m.conversation_id
  JOIN contacts ct ON ct.id = c.contact_id
 WHERE m.negative_since >= now() - make_interval(days => $1)
 ORDER BY m.negative_since DESC LIMIT 20
"""


async def insights(conn: Connection, days: int) -> Insights:
    distribution = {r["sentiment_label"]: r["n"] for r in await conn.fetch(_DISTRIBUTION, days)}
    return Insights(
        days=days,
        distribution=LabelCounts(**distribution),
        by_day=[
            rows.of(DayMood, r, counts=rows.of(LabelCounts, r))
            for r in await conn.fetch(_BY_DAY, days)
        ],
        by_agent=rows.many(AgentMood, await conn.fetch(_BY_AGENT, days)),
        by_queue=rows.many(QueueMood, await conn.fetch(_BY_QUEUE, days)),
        top_intents=rows.many(NamedCount, await conn.fetch(_TOP_INTENTS, days)),
        alerts_by_rule=rows.many(NamedCount, await conn.fetch(_ALERTS_BY_RULE, days)),
        turned_negative=rows.many(TurnedNegative, await conn.fetch(_TURNED_NEGATIVE, days)),
    )
