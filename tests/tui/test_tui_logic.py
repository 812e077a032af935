"""The console's rules without Textual: list order and filters, delivery wording, the window
countdown, template forms and which events toast."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from pytake_daemon.protocol import (
    ConversationStatus,
    ConversationUpdated,
    EventEnvelope,
    MessageError,
    MessageReceived,
    MessageStatus,
    MessageStatusUpdated,
    WindowOut,
)
from pytake_tui.inbox import AgentFilter, Inbox, ListFilters, Period
from pytake_tui.message_view import body_text, delivery_label, failure_reason, window_label
from pytake_tui.notifications import Notifier
from pytake_tui.preferences import Preferences, PreferenceStore
from pytake_tui.template_form import (
    TemplateUnsupportedError,
    build_template,
    preview,
    template_fields,
)

from .fake_world import BOB_ID, demo_world, template
from .identities import FIXED_AT, TENANT_ID, USER_ID


def test_mine_first_then_most_recent() -> None:
    world = demo_world()
    inbox = Inbox(USER_ID)
    inbox.replace_all(list(world.conversations.values()))
    names = [c.contact.profile_name for c in inbox.ordered()]
    assert names == ["Ana Souza", None, "Bruno Lima", "Carla Dias"]


def test_a_stale_event_does_not_replace_newer_state() -> None:
    world = demo_world()
    inbox = Inbox(USER_ID)
    ana = next(iter(world.conversations.values()))
    newer = ana.model_copy(update={"updated_at": FIXED_AT, "unread_count": 0})
    inbox.upsert(newer)
    inbox.upsert(ana)
    assert inbox.get(ana.id) == newer


def test_filters_cycle_and_admit_live_conversations() -> None:
    world = demo_world()
    carla = next(c for c in world.conversations.values() if c.assigned_user_id == BOB_ID)
    filters = ListFilters()
    assert filters.next_status().status is ConversationStatus.OPEN
    assert filters.next_agent().agent is AgentFilter.ME
    assert filters.next_period().period is Period.TODAY
    assert filters.admits(carla, USER_ID, FIXED_AT)
    assert not filters.next_agent().admits(carla, USER_ID, FIXED_AT)
    assert not filters.next_period().admits(carla, USER_ID, FIXED_AT)  # 3 days old
    searching = ListFilters(search="pix")
    assert not searching.admits(carla, USER_ID, FIXED_AT)
    query = ListFilters(search=" p ", agent=AgentFilter.NONE).query(FIXED_AT)
    assert (query.q, query.agent) == (None, "none")  # one letter is not a search yet


def test_delivery_words_and_failure_reason() -> None:
    world = demo_world()
    messages = next(iter(world.messages.values()))
    labels = {delivery_label(m) for m in messages}
    assert {"◷ pending", "✓ sent", "✓✓ delivered", "✓✓ read", "✗ failed", ""} == labels
    failed = next(m for m in messages if m.status is MessageStatus.FAILED)
    assert failure_reason(failed) == failed.error.explanation  # type: ignore[union-attr]
    image = next(m for m in messages if m.type == "image")
    assert body_text(image) == "[image · image/jpeg] the label"


def test_window_countdown() -> None:
    open_window = WindowOut(open=True, expires_at=FIXED_AT + timedelta(hours=3, seconds=30))
    assert window_label(open_window, FIXED_AT) == "window open · 3h 01m left"
    closed = WindowOut(open=False, expires_at=FIXED_AT - timedelta(minutes=1))
    assert window_label(closed, FIXED_AT) == "window closed · templates only"
    never = WindowOut(open=False, expires_at=None)
    assert "no customer message yet" in window_label(never, FIXED_AT)


def test_template_form_positional_and_named() -> None:
    order = demo_world().templates[0]
    fields = template_fields(order)
    assert [(f.key, f.example) for f in fields] == [
        ("body.1", "Ana"),
        ("body.2", "#123"),
        ("body.3", "today"),
    ]
    values = {"body.1": "Bruno", "body.2": "#9", "body.3": "now"}
    assert preview(order, {"body.1": "Bruno"}) == "Hi Bruno, your order {{2}} ships {{3}}."
    assert build_template(order, values).body_parameters == ["Bruno", "#9", "now"]
    with pytest.raises(ValidationError):
        build_template(order, {"body.1": "two\nlines"})

    named = template(
        9,
        "welcome",
        [
            {"type": "HEADER", "format": "IMAGE"},
            {
                "type": "BODY",
                "text": "Hi {{first_name}}!",
                "example": {
                    "body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]
                },
            },
            {
                "type": "BUTTONS",
                "buttons": [{"type": "URL", "text": "Track", "url": "https://x.test/{{1}}"}],
            },
        ],
        parameter_format="NAMED",
    )
    keys = [f.key for f in template_fields(named)]
    assert keys == ["header.media", "body.first_name", "button.0"]
    built = build_template(
        named,
        {"header.media": "https://x.test/a.png", "body.first_name": "Ana", "button.0": "A1"},
    )
    assert built.body_parameters == {"first_name": "Ana"}
    assert built.header is not None
    assert built.header.kind == "image"
    assert built.buttons[0].text == "A1"

    location = template(10, "where", [{"type": "HEADER", "format": "LOCATION"}])
    with pytest.raises(TemplateUnsupportedError, match="location"):
        template_fields(location)


def _envelope(event: object) -> EventEnvelope:
    return EventEnvelope.model_validate(
        {"seq": 1, "tenant_id": TENANT_ID, "at": FIXED_AT, "event": event}
    )


def test_the_consoles_own_toasts_are_only_for_its_failures() -> None:
    world = demo_world()
    conversations = list(world.conversations.values())
    ana, unknown = conversations[0], conversations[2]
    notifier = Notifier()
    notifier.open_conversation = ana.id
    loud = Preferences(bell_new_messages=True)
    message = world.messages[ana.id][-1]

    # News and assignments are the notification center's (the user's quiet hours and switches
    # apply there): no toast of the console's own for them.
    other = MessageReceived(conversation=unknown, message=message)
    assert notifier.toasts(_envelope(other), loud) == []
    assigned = ConversationUpdated(
        conversation=unknown.model_copy(update={"assigned_user_id": USER_ID})
    )
    assert notifier.toasts(_envelope(assigned), Preferences()) == []

    failure = MessageStatusUpdated(
        conversation_id=unknown.id,
        message_id=message.id,
        wa_message_id=None,
        status=MessageStatus.FAILED,
        error=MessageError(code=1, title="x", explanation="Meta said no."),
    )
    assert notifier.toasts(_envelope(failure), Preferences()) == []  # not ours, not open
    notifier.sent_here(message.id)
    (toast,) = notifier.toasts(_envelope(failure), Preferences())
    assert (toast.message, toast.severity) == ("Meta said no.", "error")
    assert notifier.toasts(_envelope(failure), Preferences(toast_failures=False)) == []


def test_preferences_round_trip_and_a_broken_file_is_defaults(tmp_path: Path) -> None:
    store = PreferenceStore(tmp_path / "pytake" / "preferences.json")
    assert store.load() == Preferences()
    store.save(Preferences(theme="textual-light", bell_new_messages=True))
    assert store.load().theme == "textual-light"
    store.path.write_text("{not json")
    assert store.load() == Preferences()
