"""``/api/v1/notifications``: the caller's notification center, their preferences, and (admins)
the tenant's defaults, retention and SMTP settings.

Every change of read state is announced in the transaction that makes it
(``notifications_read``, to the caller's own consoles only), so several consoles of one user
agree without polling.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from aiohttp import web

from pytake_daemon.db.pool import Connection, tenant_transaction
from pytake_daemon.errors import NotFound, UnprocessableEntity
from pytake_daemon.http.api import RouteTable, identity, path_uuid
from pytake_daemon.keys import DB_POOL, EVENT_BUS, SECRET_BOX, SETTINGS
from pytake_daemon.notifications import db, email_channel, preferences, settings_db
from pytake_daemon.protocol import EventEnvelope, ProblemField, Role
from pytake_daemon.protocol.notifications import (
    BulkAction,
    BulkResult,
    NotificationBulk,
    NotificationCategory,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    NotificationsRead,
    Preferences,
    PreferencesOut,
    ReadAllRequest,
    ReadChange,
    ReadStateUpdate,
    SmtpSettingsIn,
    SmtpSettingsOut,
    TenantNotificationSettings,
    TestEmailRequest,
    TestEmailResult,
    UnreadCounts,
)
from pytake_daemon.realtime.bus import number_events

routes = RouteTable(tag="notifications")


def _cursor(n: NotificationOut) -> str:
    raw = f"{n.created_at.isoformat()}|{n.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, ident = raw.partition("|")
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise UnprocessableEntity(
            "1 invalid field(s)",
            errors=[
                ProblemField(
                    loc="query.cursor", msg="not a cursor this API gave out", type="value_error"
                )
            ],
        ) from None


async def _announce(
    request: web.Request,
    conn: Connection,
    change: ReadChange,
    ids: list[uuid.UUID],
    *,
    all_: bool = False,
    category: NotificationCategory | None = None,
) -> tuple[UnreadCounts, list[EventEnvelope]]:
    caller = identity(request)
    unread = await db.unread_counts(conn, caller.user_id)
    if not ids and not all_:
        return unread, []
    event = NotificationsRead(
        user_id=caller.user_id, change=change, ids=ids, all=all_, category=category, unread=unread
    )
    return unread, await number_events(conn, caller.tenant_id, [event])


@routes.get(
    "/api/v1/notifications",
    summary="My notifications, newest first: filter by category, severity, read state, period",
    query=NotificationQuery,
    response=NotificationPage,
    role=Role.AGENT,
    errors=(422,),
)
async def list_notifications(request: web.Request, query: NotificationQuery) -> NotificationPage:
    caller = identity(request)
    after = _after(query.cursor)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        statement = db.page_statement(
            caller.user_id,
            category=query.category.value if query.category else None,
            severity=query.severity.value if query.severity else None,
            read=query.read,
            since=query.since,
            until=query.until,
            after=after,
            limit=query.limit + 1,
        )
        items = await db.page(conn, statement)
    more = len(items) > query.limit
    items = items[: query.limit]
    return NotificationPage(items=items, next_cursor=_cursor(items[-1]) if more else None)


@routes.get(
    "/api/v1/notifications/unread",
    summary="How many of my notifications are unread, by category (the console's bell)",
    response=UnreadCounts,
    role=Role.AGENT,
)
async def unread_counts(request: web.Request) -> UnreadCounts:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return await db.unread_counts(conn, caller.user_id)


async def _bulk(
    request: web.Request, action: BulkAction, ids: list[uuid.UUID]
) -> tuple[int, UnreadCounts]:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        if action is BulkAction.DELETE:
            changed = await db.delete(conn, caller.user_id, ids)
            change = ReadChange.DELETED
        else:
            read = action is BulkAction.READ
            changed = await db.set_read(conn, caller.user_id, ids, read)
            change = ReadChange.READ if read else ReadChange.UNREAD
        unread, envelopes = await _announce(request, conn, change, changed)
    await request.app[EVENT_BUS].deliver(envelopes)
    return len(changed), unread


@routes.post(
    "/api/v1/notifications/bulk",
    summary="Mark several of my notifications read or unread, or delete them",
    body=NotificationBulk,
    response=BulkResult,
    role=Role.AGENT,
    errors=(422,),
)
async def bulk(request: web.Request, body: NotificationBulk) -> BulkResult:
    changed, unread = await _bulk(request, body.action, body.ids)
    return BulkResult(changed=changed, unread=unread)


@routes.post(
    "/api/v1/notifications/read-all",
    summary="Mark all my unread notifications read (of one category, if given)",
    body=ReadAllRequest,
    response=BulkResult,
    role=Role.AGENT,
    errors=(422,),
)
async def read_all(request: web.Request, body: ReadAllRequest) -> BulkResult:
    caller = identity(request)
    category = body.category.value if body.category else None
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        changed = await db.read_all(conn, caller.user_id, category)
        unread, envelopes = await _announce(
            request, conn, ReadChange.READ, [], all_=changed > 0, category=body.category
        )
    await request.app[EVENT_BUS].deliver(envelopes)
    return BulkResult(changed=changed, unread=unread)


@routes.get(
    "/api/v1/notifications/preferences",
    summary="My notification preferences in effect (mine, else the tenant's defaults)",
    response=PreferencesOut,
    role=Role.AGENT,
)
async def get_preferences(request: web.Request) -> PreferencesOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        mine = (await settings_db.user_preferences(conn, [caller.user_id])).get(caller.user_id)
        tenant = await settings_db.tenant_settings(conn)
    prefs, source = preferences.effective(mine, tenant.defaults)
    return PreferencesOut(preferences=preferences.complete(prefs), source=source)


@routes.put(
    "/api/v1/notifications/preferences",
    summary="Set my notification preferences (channels per category, quiet hours, "
    "do-not-disturb, per-minute cap, e-mail digest)",
    body=Preferences,
    response=PreferencesOut,
    role=Role.AGENT,
    errors=(422,),
)
async def put_preferences(request: web.Request, body: Preferences) -> PreferencesOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await settings_db.put_user_preferences(conn, caller.user_id, body.model_dump(mode="json"))
        tenant = await settings_db.tenant_settings(conn)
    prefs, source = preferences.effective(body.model_dump(mode="json"), tenant.defaults)
    return PreferencesOut(preferences=preferences.complete(prefs), source=source)


@routes.delete(
    "/api/v1/notifications/preferences",
    summary="Forget my preferences: follow the tenant's defaults again",
    role=Role.AGENT,
)
async def reset_preferences(request: web.Request) -> None:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await settings_db.put_user_preferences(conn, caller.user_id, None)


@routes.get(
    "/api/v1/notifications/settings",
    summary="The tenant's default preferences and retention",
    response=TenantNotificationSettings,
    role=Role.ADMIN,
)
async def get_notification_settings(request: web.Request) -> TenantNotificationSettings:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await settings_db.tenant_settings(conn)
    defaults = preferences.complete(Preferences.model_validate(row.defaults))
    return TenantNotificationSettings(defaults=defaults, retention_days=row.retention_days)


@routes.put(
    "/api/v1/notifications/settings",
    summary="Set the tenant's default preferences and how long notifications are kept",
    body=TenantNotificationSettings,
    response=TenantNotificationSettings,
    role=Role.ADMIN,
    errors=(422,),
)
async def put_settings(
    request: web.Request, body: TenantNotificationSettings
) -> TenantNotificationSettings:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await settings_db.put_defaults(
            conn, body.defaults.model_dump(mode="json"), body.retention_days
        )
    return body


def _smtp_out(row: settings_db.TenantSettingsRow) -> SmtpSettingsOut:
    if row.smtp_host is None or row.smtp_port is None or row.smtp_from is None:
        raise NotFound("no SMTP settings for this tenant yet")
    return SmtpSettingsOut(
        host=row.smtp_host,
        port=row.smtp_port,
        security=row.smtp_security or "starttls",
        username=row.smtp_username,
        password_set=row.smtp_password_enc is not None,
        from_address=row.smtp_from,
    )


@routes.get(
    "/api/v1/notifications/smtp",
    summary="The tenant's SMTP settings (the password is never shown)",
    response=SmtpSettingsOut,
    role=Role.ADMIN,
    errors=(404,),
)
async def get_smtp(request: web.Request) -> SmtpSettingsOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        return _smtp_out(await settings_db.tenant_settings(conn))


@routes.put(
    "/api/v1/notifications/smtp",
    summary="Set the tenant's SMTP server (password encrypted at rest; left out: kept)",
    body=SmtpSettingsIn,
    response=SmtpSettingsOut,
    role=Role.ADMIN,
    errors=(422,),
)
async def put_smtp(request: web.Request, body: SmtpSettingsIn) -> SmtpSettingsOut:
    caller = identity(request)
    box = request.app[SECRET_BOX]
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        await settings_db.put_smtp(
            conn,
            host=body.host,
            port=body.port,
            security=body.security,
            username=body.username,
            password_enc=box.encrypt(body.password) if body.password else None,
            from_address=body.from_address,
        )
        return _smtp_out(await settings_db.tenant_settings(conn))


@routes.post(
    "/api/v1/notifications/test-email",
    summary="Send a test e-mail through the tenant's SMTP settings (retried like any other)",
    body=TestEmailRequest,
    response=TestEmailResult,
    role=Role.ADMIN,
    errors=(409, 422, 502),
)
async def test_email(request: web.Request, body: TestEmailRequest) -> TestEmailResult:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        row = await settings_db.tenant_settings(conn)
        to = body.to or await conn.fetchval(
            "SELECT email FROM users WHERE tenant_id = current_tenant_id() AND id = $1",
            caller.user_id,
        )
    config = email_channel.smtp_config(row, request.app[SECRET_BOX])
    attempts = await email_channel.send_test(config, to, request.app[SETTINGS].notifications)
    return TestEmailResult(to=to, attempts=attempts)


# Registered last: the fixed paths above must win over {id}.
@routes.get(
    "/api/v1/notifications/{id}",
    summary="One of my notifications",
    response=NotificationOut,
    role=Role.AGENT,
    errors=(404,),
)
async def get_notification(request: web.Request) -> NotificationOut:
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        found = await db.get(conn, caller.user_id, path_uuid(request))
    if found is None:
        raise NotFound("no such notification")
    return found


@routes.patch(
    "/api/v1/notifications/{id}",
    summary="Mark one of my notifications read or unread",
    body=ReadStateUpdate,
    response=NotificationOut,
    role=Role.AGENT,
    errors=(404, 422),
)
async def set_read_state(request: web.Request, body: ReadStateUpdate) -> NotificationOut:
    notification_id = path_uuid(request)
    await _bulk(request, BulkAction.READ if body.read else BulkAction.UNREAD, [notification_id])
    caller = identity(request)
    async with tenant_transaction(request.app[DB_POOL], caller.tenant_id) as conn:
        found = await db.get(conn, caller.user_id, notification_id)
    if found is None:
        raise NotFound("no such notification")
    return found


@routes.delete(
    "/api/v1/notifications/{id}",
    summary="Delete one of my notifications",
    role=Role.AGENT,
    errors=(404,),
)
async def delete_notification(request: web.Request) -> None:
    changed, _ = await _bulk(request, BulkAction.DELETE, [path_uuid(request)])
    if not changed:
        raise NotFound("no such notification")
