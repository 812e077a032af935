"""The audit screen (f7) on a fake log: what the filters ask the daemon, paging, the detail's
difference, alerts and spikes, live alerts, and errors as toasts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from pytake_daemon.protocol.audit import AuditCount, AuditCounts, AuditQuery, Outcome, TrendOut
from pytake_tui import PyTakeApp
from pytake_tui.audit_view import (
    PAGE_SIZE,
    AuditFilters,
    AuditPeriod,
    Change,
    bars,
    changes,
)
from pytake_tui.client import DaemonError
from pytake_tui.messages import EventReceived, ResyncNeeded
from pytake_tui.screens.audit_detail import AuditDetailScreen

from .audit_fakes import (
    AuditLog,
    actions,
    alert,
    alert_envelope,
    audit_app,
    demo_log,
    entry,
    many_entries,
    open_audit,
    settle,
    table,
)
from .helpers import MessageLog, wait_until
from .identities import FIXED_AT

SIZE = (100, 30)


def focused(app: PyTakeApp) -> str | None:
    return app.focused.id if app.focused is not None else None


def last_query(log: AuditLog) -> AuditQuery:
    return log.queries[-1]


async def test_opens_with_the_last_day_the_chart_alerts_and_spikes(tmp_path: Path) -> None:
    log = demo_log()
    app = audit_app(tmp_path, log)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot, 11)  # the oldest is 20 hours old: in the last day
        query = last_query(log)
        assert query.since == FIXED_AT - timedelta(days=1)
        assert (query.actor, query.action, query.target, query.text, query.outcome) == (
            None,
            None,
            None,
            None,
            None,
        )
        assert query.limit == PAGE_SIZE
        assert query.cursor is None
        counts = log.counts_queries[-1]
        assert counts.bucket == "hour"
        assert (counts.since, counts.until) == (FIXED_AT - timedelta(days=1), FIXED_AT)
        assert actions(screen)[:3] == ["audit.export", "POST /api/v1/users", "user.update"]
        chart_title = str(screen.query_one("#audit-chart-title", Static).render())
        assert "11 in 24 hours" in chart_title
        assert "3 not successful" in chart_title
        alerts = screen.query_one("#audit-alerts", OptionList)
        assert alerts.option_count == 1
        assert "2 failed logins for bruno@acme.test" in str(alerts.get_option_at_index(0).prompt)
        assert "User changed 6 (x6.0)" in str(screen.query_one("#audit-spikes", Static).render())
        assert str(screen.query_one("#audit-status", Static).render()) == "11 entries"


async def test_filters_produce_the_query(tmp_path: Path) -> None:
    log = demo_log()
    app = audit_app(tmp_path, log)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot, 11)

        await pilot.press("f")  # the actor filter
        assert focused(app) == "filter-actor"
        await pilot.press(*"bruno@acme.test", "enter")
        await wait_until(pilot, lambda: table(screen).row_count == 4, "bruno's entries")
        assert last_query(log).actor == "bruno@acme.test"
        assert focused(app) == "audit-table"  # enter went back to the table

        await pilot.press("o")  # success
        await wait_until(pilot, lambda: table(screen).row_count == 1, "bruno's successes")
        assert last_query(log).outcome is Outcome.SUCCESS
        await pilot.press("o")  # failure
        await wait_until(pilot, lambda: actions(screen) == ["auth.login_failed"] * 2, "failures")
        assert last_query(log).outcome is Outcome.FAILURE

        await pilot.press("o", "o", "o")  # denied, error, back to any
        await settle(pilot)
        assert last_query(log).outcome is None
        assert table(screen).row_count == 4

        await pilot.press("p")  # 7 days
        await settle(pilot)
        assert last_query(log).since == FIXED_AT - timedelta(days=7)
        assert log.counts_queries[-1].bucket == "day"
        assert log.counts_queries[-1].since == FIXED_AT - timedelta(days=7)

        # The action as a prefix, typed: the list follows after a pause in typing.
        screen.query_one("#filter-actor", Input).value = ""
        await pilot.click("#filter-action")
        await pilot.press(*"auth.")
        await wait_until(pilot, lambda: last_query(log).action == "auth.", "the action filter")
        await settle(pilot)
        assert last_query(log).actor is None
        assert set(actions(screen)) == {"auth.login", "auth.login_failed"}

        await pilot.press("escape", "slash")
        assert focused(app) == "filter-text"
        await pilot.press(*"fail", "enter")
        await wait_until(pilot, lambda: table(screen).row_count == 2, "the text search")
        assert last_query(log).text == "fail"

        target = str(log.entries[-1].target_id)  # carla's first login, targeting her user
        text = screen.query_one("#filter-text", Input)
        text.value = ""
        screen.query_one("#filter-target", Input).value = target
        await pilot.click("#filter-target")
        await pilot.press("enter")
        await wait_until(pilot, lambda: table(screen).row_count == 1, "the target filter")
        query = last_query(log)
        assert (query.action, query.target, query.text) == ("auth.", target, None)


async def test_filters_query_model() -> None:
    """Blank text filters send nothing; "any time" sends no period, and the chart its 30 days."""
    filters = AuditFilters(actor="  ", action=" auth. ", period=AuditPeriod.ANY)
    query = filters.query(FIXED_AT)
    assert (query.actor, query.action, query.since) == (None, "auth.", None)
    counts = filters.counts_query(FIXED_AT)
    assert (counts.since, counts.bucket) == (FIXED_AT - timedelta(days=30), "day")
    assert filters.chart_label() == "30 days"
    hour = AuditFilters(period=AuditPeriod.HOUR)
    counts = hour.counts_query(FIXED_AT)
    assert (counts.since, counts.bucket) == (FIXED_AT - timedelta(days=1), "hour")
    assert hour.chart_label() == "24 hours"  # one hourly bar alone says nothing
    assert AuditFilters(period=AuditPeriod.WEEK).chart_label() == "7 days"


async def test_pages_load_by_key_and_at_the_last_row(tmp_path: Path) -> None:
    log = AuditLog(entries=many_entries(170))
    app = audit_app(tmp_path, log)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot, PAGE_SIZE)
        assert screen.cursor == "121"  # the daemon's cursor, sent back as is
        assert "m: more" in str(screen.query_one("#audit-status", Static).render())

        await pilot.press("m")
        await wait_until(pilot, lambda: table(screen).row_count == 100, "the second page")
        assert last_query(log).cursor == "121"
        assert table(screen).cursor_row == 0  # the cursor stays where it was

        # Scrolled to the bottom (the wheel), the cursor still on top: the next page comes.
        table(screen).scroll_end(animate=False)
        await wait_until(pilot, lambda: table(screen).row_count == 150, "the third page")
        assert last_query(log).cursor == "71"
        assert table(screen).cursor_row == 0

        await pilot.press("ctrl+end")  # the cursor on the last row: the rest comes
        await wait_until(pilot, lambda: table(screen).row_count == 170, "the last page")
        assert [e.seq for e in screen.entries] == list(range(170, 0, -1))
        await settle(pilot)
        assert str(screen.query_one("#audit-status", Static).render()) == "170 entries"
        asked = len(log.queries)
        await pilot.press("m")  # nothing older: no request
        await settle(pilot)
        assert len(log.queries) == asked


async def test_detail_shows_who_what_and_the_difference(tmp_path: Path) -> None:
    log = demo_log()
    app = audit_app(tmp_path, log)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot, 11)
        row = actions(screen).index("flow.publish")
        table(screen).move_cursor(row=row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditDetailScreen), "the detail")
        detail = app.screen
        facts = [str(s.render()) for s in detail.query(".fact").results(Static)]
        assert "who      ana@acme.test (admin) · user" in facts
        assert "what     Flow published · flow.publish" in facts
        assert any(fact.startswith("target   flow 00000000-") for fact in facts)
        assert "request  POST /api/v1/flows/{id}/publish" in facts
        assert len(detail.query(".change")) == 3
        changed = [str(s.render()) for s in detail.query(".change.-changed").results(Static)]
        assert changed == ["~ status: draft → published", "~ version: 3 → 4"]
        added = [str(s.render()) for s in detail.query(".change.-added").results(Static)]
        assert added == ["+ published_at: 2025-03-14T08:16:53Z"]

        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, "back to the log")
        row = actions(screen).index("user.update")
        table(screen).move_cursor(row=row)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditDetailScreen), "the detail")
        removed = [str(s.render()) for s in app.screen.query(".change.-removed").results(Static)]
        assert removed == ["- phone: +5511999990003"]


def test_changes_sort_added_removed_changed_and_plain_values() -> None:
    found = changes(
        {
            "b": {"before": 1, "after": None},
            "a": {"before": None, "after": {"x": 1}},
            "c": {"before": "x", "after": "y"},
            "params": [1, 2],
        }
    )
    assert [(c.field, c.change) for c in found] == [
        ("a", Change.ADDED),
        ("b", Change.REMOVED),
        ("c", Change.CHANGED),
        ("params", Change.ADDED),
    ]
    assert changes(None) == []


async def test_an_alert_opens_the_entry_behind_it(tmp_path: Path) -> None:
    log = demo_log()
    app = audit_app(tmp_path, log)
    async with app.run_test(size=SIZE) as pilot:
        await open_audit(pilot, 11)
        await pilot.press("a", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditDetailScreen), "the detail")
        detail = app.screen
        assert isinstance(detail, AuditDetailScreen)
        assert detail.entry.seq == 2
        assert detail.entry.action == "auth.login_failed"


async def test_a_live_alert_adds_itself_and_the_newer_entries(tmp_path: Path) -> None:
    log = demo_log()
    app = audit_app(tmp_path, log)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot, 11)
        table(screen).move_cursor(row=2)
        kept = screen.entries[2].id
        just_now = timedelta(seconds=1)
        log.add(entry(12, "token.create", ago=just_now, target=("token", "t-1")))
        raised = alert(2, "ana@acme.test created an API token", ago=just_now, entries=[12])
        log.alerts.insert(0, raised)
        assert isinstance(app, PyTakeApp)
        app.post_message(EventReceived(alert_envelope(2, raised)))
        await wait_until(pilot, lambda: table(screen).row_count == 12, "the new entry")
        await settle(pilot)
        assert actions(screen)[0] == "token.create"
        assert screen.entries[table(screen).cursor_row].id == kept  # the cursor did not jump
        alerts = screen.query_one("#audit-alerts", OptionList)
        assert alerts.option_count == 2
        assert "created an API token" in str(alerts.get_option_at_index(0).prompt)
        assert "12 in 24 hours" in str(screen.query_one("#audit-chart-title", Static).render())

        asked = len(log.queries)
        app.post_message(ResyncNeeded("reconnected"))
        await wait_until(pilot, lambda: len(log.queries) > asked, "a reload after the resync")


async def test_a_refusal_is_a_toast(tmp_path: Path) -> None:
    log = demo_log()
    app = audit_app(tmp_path, log)
    messages = MessageLog()
    async with app.run_test(size=SIZE, message_hook=messages) as pilot:
        screen = await open_audit(pilot, 11)
        log.refusal = DaemonError(422, "Unprocessable Entity", "query.action: too long")
        await pilot.press("r")
        await settle(pilot)
        assert (
            "Could not load the audit log: Unprocessable Entity: query.action: too long"
            in messages.notifications()
        )
        assert table(screen).row_count == 11  # what was shown stays


async def test_an_empty_log_says_so(tmp_path: Path) -> None:
    app = audit_app(tmp_path, AuditLog())
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_audit(pilot, 0)
        assert screen.query_one("#audit-empty").display
        assert not table(screen).display
        assert str(screen.query_one("#audit-status", Static).render()) == "0 entries"


def test_bars_fill_the_buckets_the_daemon_leaves_out() -> None:
    since, until = FIXED_AT - timedelta(days=1), FIXED_AT
    at = FIXED_AT.replace(minute=0, second=0) - timedelta(hours=2)
    counts = AuditCounts(bucket="hour", items=[AuditCount(bucket=at, count=5, failures=2)])
    found = bars(counts, since, until)
    assert len(found) == 25  # 09:00 yesterday (the bucket of 09:26) to 09:00 today
    assert [(b.label, b.count, b.failures) for b in found if b.count] == [("07", 5, 2)]
    assert found[0].label == found[-1].label == "09"
    days = bars(AuditCounts(bucket="day", items=[]), FIXED_AT - timedelta(days=7), FIXED_AT)
    assert [b.label for b in days] == [f"3/{d}" for d in range(7, 15)]  # M/d: the reader's order


def test_actions_and_targets_are_worded_in_either_language() -> None:
    from pytake_i18n import use_language
    from pytake_tui.audit_view import trend_line
    from pytake_tui.audit_words import action_name, target_name

    entry = (
        demo_log()
        .entries[0]
        .model_copy(
            update={
                "action": "queue.entered",
                "target_type": "conversation",
                "target_id": "1a2b3c4d-0000-4000-8000-000000000001",
            }
        )
    )
    trend = TrendOut(action="queue.entered", current=1200, baseline=400, ratio=3.25, spike=True)
    with use_language("en"):
        assert action_name(entry.action) == "Entered a queue"
        assert target_name(entry) == "conversation 1a2b3c4d"
        assert trend_line(trend) == "Entered a queue 1,200 (x3.2)"
    with use_language("pt_BR"):
        assert action_name(entry.action) == "Entrou na fila"
        assert target_name(entry) == "conversa 1a2b3c4d"
        assert target_name(entry, whole=True) == "conversa 1a2b3c4d-0000-4000-8000-000000000001"
        assert trend_line(trend) == "Entrou na fila 1.200 (x3,2)"
        # An API call and an action this console does not know are shown as recorded.
        assert action_name("POST /api/v1/flows/{id}/publish") == "POST flows/{id}/publish"
        assert action_name("brand.new") == "brand.new"


def test_an_onboarding_step_target_is_named_by_its_title() -> None:
    from pytake_i18n import use_language
    from pytake_tui.audit_words import target_name

    entry = (
        demo_log()
        .entries[0]
        .model_copy(update={"target_type": "onboarding", "target_id": "go_live"})
    )
    with use_language("en"):
        assert target_name(entry) == "onboarding step: Go-live check"
    with use_language("pt_BR"):
        assert target_name(entry).startswith("etapa de configuração: ")
