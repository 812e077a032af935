"""Customers known by username and what agents see of a message (issue 15, item 8), in the
console: the words, without Textual, and a snapshot of a username customer's thread."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from pytake_daemon.protocol import ContactOut, MessageEditOut, ReferralOut
from pytake_tui.contact_view import contact_title, identity_warning
from pytake_tui.message_view import DELETED, body_text, is_system_line, message_marks
from pytake_tui.notifications import contact_name
from pytake_tui.widgets.thread import MessageBubble

from .chat_support import (
    chat_ready,
    scripted_app,
    still_cursors,
    thread_settled,
    unread_settled,
)
from .fake_world import FakeWorld
from .helpers import wait_until
from .identities import FIXED_AT

BSUID = "BR.13491208655302741918"
_ID = uuid.UUID(int=7)


def _contact(**fields: Any) -> ContactOut:
    return ContactOut(id=_ID, **{"wa_id": None, "profile_name": None, **fields})


def test_a_customer_reads_as_username_then_name_then_phone_then_bsuid() -> None:
    assert contact_name(_contact(username="ana.s", profile_name="Ana", bsuid=BSUID)) == "@ana.s"
    assert contact_name(_contact(username="@ana.s", bsuid=BSUID)) == "@ana.s"
    assert contact_name(_contact(profile_name="Ana Souza", wa_id="5511999990001")) == "Ana Souza"
    assert contact_name(_contact(wa_id="5511999990001")) == "+5511999990001"
    assert contact_name(_contact(bsuid=BSUID)) == BSUID


def test_the_thread_title_says_what_is_known_and_flags_a_conflicting_phone() -> None:
    hidden = _contact(username="ana.s", profile_name="Ana Souza", bsuid=BSUID)
    assert contact_title(hidden) == "@ana.s · Ana Souza · phone hidden"
    shared = _contact(username="ana.s", wa_id="5511999990001", phone_verified=True, bsuid=BSUID)
    assert contact_title(shared) == "@ana.s · +5511999990001 ✓"
    assert contact_title(_contact(wa_id="5511999990001")) == "+5511999990001"
    assert identity_warning(shared) is None
    flagged = _contact(wa_id="5511999990001", phone_conflict="5511988887777")
    warning = identity_warning(flagged)
    assert warning is not None
    assert "+5511988887777" in warning


def test_marks_for_forwarded_referral_edited_and_unsupported() -> None:
    world = FakeWorld()
    conversation = world.add_conversation(1, None, None, contact={"bsuid": BSUID})
    ad = world.add_message(
        conversation,
        "in",
        "still on sale?",
        ago=timedelta(minutes=5),
        referral=ReferralOut(
            headline="Winter sale", source_type="ad", source_url="https://fb.me/x"
        ),
        frequently_forwarded=True,
        forwarded=True,
    )
    assert message_marks(ad) == [
        "↠ forwarded many times",
        "📣 came from the ad “Winter sale” · https://fb.me/x",
    ]
    edited = world.add_message(
        conversation,
        "in",
        "see you at 7",
        ago=timedelta(minutes=4),
        edited_at=FIXED_AT - timedelta(minutes=3),
        edits=[MessageEditOut(text="see you at 6", replaced_at=FIXED_AT - timedelta(minutes=3))],
    )
    assert message_marks(edited)[0].startswith("✎ edited ")
    odd = world.add_message(
        conversation,
        "in",
        "[unsupported message: unsupported]",
        ago=timedelta(minutes=2),
        type_="unsupported",
        unsupported_reason="Message type is currently not supported. (poll)",
    )
    assert message_marks(odd) == ["can't be shown: Message type is currently not supported. (poll)"]
    gone = world.add_message(
        conversation, "in", "", ago=timedelta(minutes=1), content={}, deleted_at=FIXED_AT
    )
    assert body_text(gone) == DELETED
    assert message_marks(gone) == []
    notice = world.add_message(
        conversation,
        "in",
        "The customer changed their phone number",
        ago=timedelta(seconds=30),
        type_="system",
        content={"type": "user_changed_number"},
    )
    assert is_system_line(notice)
    assert body_text(notice) == "ⓘ The customer changed their phone number"


def username_world() -> FakeWorld:
    """One customer known only by username: an ad click, a forward, an edit, a deletion, a
    message WhatsApp can't show, and a change of number announced by WhatsApp."""
    world = FakeWorld()
    ana = world.add_conversation(
        1,
        "Ana Souza",
        None,
        preview="see you at 7",
        unread=1,
        contact={"bsuid": BSUID, "username": "ana.s"},
    )
    minutes = timedelta(minutes=1)
    world.add_message(
        ana,
        "in",
        "Is the winter sale still on?",
        ago=30 * minutes,
        referral=ReferralOut(headline="Winter sale", source_type="ad"),
    )
    world.add_message(ana, "out", "Yes, until Sunday!", ago=29 * minutes)
    world.add_message(ana, "in", "look at this", ago=20 * minutes, forwarded=True)
    world.add_message(ana, "in", "", ago=15 * minutes, content={}, deleted_at=FIXED_AT)
    world.add_message(
        ana,
        "in",
        "[unsupported message: unsupported]",
        ago=12 * minutes,
        type_="unsupported",
        unsupported_reason="Message type is currently not supported. (poll)",
    )
    world.add_message(
        ana,
        "in",
        "The customer changed their phone number",
        ago=10 * minutes,
        type_="system",
        content={"type": "user_changed_number"},
    )
    world.add_message(
        ana,
        "in",
        "see you at 7",
        ago=5 * minutes,
        edited_at=FIXED_AT - 4 * minutes,
        edits=[MessageEditOut(text="see you at 6", replaced_at=FIXED_AT - 4 * minutes)],
    )
    return world


def test_a_username_customers_thread(snap_compare: Any, tmp_path: Path) -> None:
    """Listed and titled by username (phone hidden); the thread shows the ad, the forward, the
    deletion, why WhatsApp can't show a message, the change of number as a line, the edit."""

    async def ready(pilot: Pilot[Any]) -> None:
        screen = await chat_ready(pilot, 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(screen.query(MessageBubble)) == 7, "seven bubbles")
        await thread_settled(pilot)  # the scrollbar's thumb flickered in a loaded run
        await unread_settled(pilot)  # the title's count, read again after the opening
        still_cursors(pilot)

    assert snap_compare(
        scripted_app(tmp_path, username_world()), run_before=ready, terminal_size=(100, 40)
    )
