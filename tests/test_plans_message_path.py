"""Every tenant-scoped statement on the message path (ingest, fan-out, status callbacks, the
sender's bookkeeping, the flow step and what it queues) is bounded by the batch's messages and
conversations or another indexed key, proven by its executed plan on a tenant with 100,000
messages, as the daemon's role under row-level security, for the plan of the values at hand and
for the generic plan a prepared statement ends up with. The AI's statements are in
tests/ai/test_plans.py, contact resolution in tests/whatsapp/test_ingest_plans.py, the
cross-tenant claims in tests/test_plans_queues.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pytake_daemon.conversations import db as conversations_db
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.flows import db as flows_db
from pytake_daemon.flows import step_db
from pytake_daemon.jobs import db as jobs_db
from pytake_daemon.realtime import bus
from pytake_daemon.whatsapp import ingest_db, outbox_db, status_db
from tests.message_path_history import (
    HISTORY,
    History,
    history_admin_conn,  # noqa: F401 - its admin_conn fixture
    history_app_conn,  # noqa: F401 - its app_conn fixture
)
from tests.plans import assert_bounded, explain

# The plan tests share one 100,000-message history per session (the ``history`` fixture): on
# one xdist worker (scripts/test.sh: --dist loadgroup), seeded once for the three of them.
pytestmark = pytest.mark.xdist_group("history")

Query = tuple[str, tuple[object, ...], set[str | tuple[str, ...]]]

MESSAGE_BY_ID = ("messages_pkey", "messages_tenant_id_id_key")
CONVERSATION_BY_ID = ("conversations_pkey", "conversations_tenant_id_id_key")


def _json(values: list[object]) -> list[str]:
    return [orjson.dumps(v).decode() for v in values]


# The first of the plan tests to run seeds the shared history (a minute or two, up to four
# on the shared 2-core machine under load).
@pytest.mark.timeout(600)
async def test_the_message_path_reads_a_bounded_number_of_pages_whatever_the_history(
    admin_conn: Connection, app_conn: Connection, history: History
) -> None:
    world = history
    tenant_id = world.tenant_id
    assert (
        await admin_conn.fetchval("SELECT count(*) FROM messages WHERE tenant_id = $1", tenant_id)
        == HISTORY
    )
    conversations, inbound = world.conversations, world.inbound
    outbound, wamids = world.outbound, world.outbound_wamids
    n = len(conversations)
    now = datetime.now(UTC)
    new_wamids = [f"wamid.new.{uuid.uuid4()}" for _ in range(n)]
    new_messages = (
        conversations,
        new_wamids,
        ["text"] * n,
        _json([{"body": "oi"}] * n),
        ["oi"] * n,
        _json([{}] * n),
        [None] * n,
        [None] * n,
        _json([[]] * n),
        [now] * n,
        ["oi"] * n,
        [True] * n,
    )
    # (wamid, status, occurred_at, recipient phone, recipient BSUID, errors, pricing,
    # conversation, raw, error code, title, explanation): the BSUIDs make it learn them too.
    statuses = (
        wamids + new_wamids[:1],
        ["read"] * len(wamids) + ["sent"],
        [now] * (len(wamids) + 1),
        [None] * (len(wamids) + 1),
        [f"US.{i}" for i in range(len(wamids) + 1)],
        _json([[]] * (len(wamids) + 1)),
        [None] * (len(wamids) + 1),
        [None] * (len(wamids) + 1),
        _json([{}] * (len(wamids) + 1)),
        [None] * (len(wamids) + 1),
        [None] * (len(wamids) + 1),
        [None] * (len(wamids) + 1),
    )
    advance = (
        wamids,
        ["failed"] * len(wamids),
        [now] * len(wamids),
        [131047] * len(wamids),
        ["t"] * len(wamids),
        ["e"] * len(wamids),
        wamids,
        [f"US.{i}" for i in range(len(wamids))],
    )
    events = (
        ["account_update"],
        ["account_update"],
        ["1"],
        [None],
        [b"\x01" * 32],
        ["{}"],
        [None],
    )
    # The new session's conversation runs none: chosen now rather than assumed from the seed,
    # so whatever else wrote to the shared history can't make the insert a duplicate.
    idle_conversation = await admin_conn.fetchval(
        """
        SELECT c.id FROM conversations c
         WHERE c.tenant_id = $1 AND c.id = ANY($2::uuid[]) AND NOT EXISTS (
               SELECT FROM flow_sessions s
                WHERE s.tenant_id = c.tenant_id AND s.conversation_id = c.id
                  AND s.status = 'active')
         LIMIT 1
        """,
        tenant_id,
        conversations,
    )
    assert idle_conversation is not None, "every conversation of the batch runs a flow session"
    steps = [
        {
            "seq": 1,
            "node_id": "a",
            "node_type": "message",
            "duration_ms": 1.0,
            "variables": {},
            "at": now.isoformat(),
        }
    ]
    # (statement, arguments, indexes its plan must use); writes are rolled back below.
    queries: list[Query] = [
        # The webhook writer (contacts: tests/whatsapp/test_ingest_plans.py).
        (
            ingest_db._ENSURE_CONVERSATIONS,
            ([world.number_id] * n, world.contacts),
            {("conversations_tenant_id_number_id_contact_id_key", "conversations_contact_idx")},
        ),
        (ingest_db._INSERT_MESSAGES, new_messages, {CONVERSATION_BY_ID}),
        # Status callbacks: recorded, applied and numbered in one statement; the unseen ones
        # again after their wamid's lock.
        (status_db._RECORD_STATUSES, statuses, {"messages_wa_id_idx"}),
        (status_db._ADVANCE_STATUSES, advance, {"messages_wa_id_idx"}),
        (ingest_db._INSERT_EVENTS, events, set()),
        # The fan-out: the batch's messages and conversations, numbered events.
        (conversations_db._GET_MESSAGES, (inbound + outbound,), {MESSAGE_BY_ID}),
        (conversations_db._GET_CONVERSATIONS, (conversations,), {CONVERSATION_BY_ID}),
        (bus._NEXT_SEQ, (3,), set()),
        # The sender's bookkeeping and the status a callback left before the wamid was known.
        (
            outbox_db._ACCEPTED,
            ([outbound[0]], ["wamid.accepted"], [conversations[0]]),
            {MESSAGE_BY_ID, "message_statuses_pkey", "outbox_conversation_idx"},
        ),
        (outbox_db._ADVANCE, (outbound[0], "read", now, None, None, None), {MESSAGE_BY_ID}),
        # The fan-out's replies' previews, at its end.
        (outbox_db._TOUCH_PREVIEWS, ([conversations[0]], ["a"]), {CONVERSATION_BY_ID}),
        (outbox_db._DONE, (outbound[0],), set()),
        (outbox_db._RESCHEDULE, (outbound[0], now, "e"), set()),
        (outbox_db._GIVE_BACK, (outbound[0], now), set()),
        # The flow step: the conversation, the message, the session, the queue, what it sends.
        (conversations_db._GET_CONVERSATION, (conversations[0],), {CONVERSATION_BY_ID}),
        # After the conversations' locks: each conversation, its message claimed, its active
        # session and whether it waits in a queue, a round of steps in one statement.
        (
            step_db._STEP_FACTS,
            (conversations, inbound[: len(conversations)]),
            {
                CONVERSATION_BY_ID,
                "flow_sessions_active_idx",
                ("queue_items_one_active_idx", "queue_items_waiting_idx"),
            },
        ),
        # A tenant with nothing published: which of the batch's conversations run a session.
        (step_db._RUNNING_SESSIONS, (conversations,), {"flow_sessions_active_idx"}),
        (
            flows_db._TEMPLATE_OF,
            (conversations[0], wamids[0]),
            {"messages_wa_id_idx"},
        ),
        (flows_db._PUBLISHED_STAMP, (), set()),
        (flows_db._PUBLISHED, (), set()),
        # A round's saves: a new session with its state and log, and an existing one updated.
        (
            step_db._SAVE_SESSIONS,
            (
                [
                    step_db.SessionSave(
                        uuid.uuid4() if new is not None else world.session_id,
                        new=new,
                        current_node="a",
                        waiting=None,
                        attempts=0,
                        wait_token=1,
                        next_seq=2,
                        variables={},
                        expires_at=now + timedelta(hours=1),
                        end_reason=None,
                        steps=steps,
                    ).as_json()
                    for new in (
                        step_db.NewSession(idle_conversation, world.flow_id, 1),
                        None,
                    )
                ],
            ),
            {("flow_sessions_pkey", "flow_sessions_tenant_id_id_key")},
        ),
        (flows_db._END_SESSION, (world.session_id, "replaced"), set()),
        (outbox_db._BY_IDEMPOTENCY, ("flow:x:1",), {"messages_idempotency_idx"}),
        (outbox_db._CONVERSATION, (conversations[0],), {CONVERSATION_BY_ID}),
        (outbox_db._WAMID, (inbound[0], conversations[0]), {MESSAGE_BY_ID}),
        (
            outbox_db._QUEUE,
            (
                conversations[0],
                "text",
                {"body": "a"},
                "a",
                None,
                None,
                "flow:x:2",
                world.number_id,
                "a",
                True,
            ),
            {CONVERSATION_BY_ID},
        ),
        # A round of flow steps' replies in one statement.
        (
            outbox_db._QUEUE_MANY,
            (
                conversations,
                [world.number_id] * n,
                ["text"] * n,
                _json([{"body": "a"}] * n),
                ["a"] * n,
                [f"flow:round:{uuid.uuid4()}" for _ in range(n)],
            ),
            set(),  # inserts only: the previews are _TOUCH_PREVIEWS'
        ),
        (jobs_db._INSERT, ("flow_inbound", {"conversation_id": "x"}), set()),
        # The webhook writer's one statement: each request's share of the webhook, as a job.
        (jobs_db._INSERT_MANY, ("ingest", ['{"entry": []}'] * n), set()),
        (jobs_db._DONE, (1,), set()),
    ]
    # A key lookup costs a few pages per row, a conversation's worth a few dozen; the tenant's
    # history costs thousands. Inserting the batch's messages writes each into seven indexes
    # (the trigram index alone a dozen pages or so): measured 362 for five.
    limits = {ingest_db._INSERT_MESSAGES: 150 * n}
    # (The history's tenant has taken its first event number, which created its sequence: the
    # message path pays the steady state.)
    failures: list[str] = []
    for generic in (False, True):
        for sql, args, uses in queries:
            tr = app_conn.transaction()
            await tr.start()
            try:
                await set_tenant(app_conn, tenant_id)
                plan = await explain(app_conn, sql, *args, generic=generic)
            finally:
                await tr.rollback()
            try:
                assert_bounded(
                    plan,
                    uses=uses,
                    avoids={"messages_created_idx"},
                    never_scans=(
                        "messages",
                        "conversations",
                        "contacts",
                        "message_statuses",
                        "flow_sessions",
                        "flow_processed_messages",
                        "queue_items",
                    ),
                    max_blocks=limits.get(sql, 60 * n),
                )
            except AssertionError as exc:
                failures.append(f"{'generic' if generic else 'custom'} plan of {sql}\n{exc}")
    assert not failures, "\n\n".join(failures)
