"""A contact's profile in the console's words, without Textual: the side panel's lines and the
edit form read into a :class:`ContactUpdate`."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from pytake_daemon.protocol.contacts import (
    HIDDEN_PHONE,
    AttendanceOut,
    ContactNoteOut,
    ContactProfile,
    ContactSummary,
    ContactUpdate,
)
from pytake_daemon.protocol.queues import ItemStatus
from pytake_tui.replies import one_line, tags_label

OUTCOMES: dict[ItemStatus, str] = {
    ItemStatus.COMPLETED: "closed",
    ItemStatus.ABANDONED: "left the queue",
    ItemStatus.TIMED_OUT: "timed out",
    ItemStatus.TRANSFERRED: "transferred",
    ItemStatus.WAITING: "waiting now",
    ItemStatus.ASSIGNED: "being attended",
}
MOOD_MARKS = {"positive": "☺ positive", "neutral": "· neutral", "negative": "☹ negative"}


ProfileLike = ContactProfile | ContactSummary


class ProfileFormError(ValueError):
    """What is wrong with the profile form, as one sentence for a toast."""


def identity_lines(profile: ProfileLike) -> list[str]:
    """Username, phone (or that it is hidden) and BSUID, one a line."""
    contact = profile.contact
    phone = "phone hidden" if profile.phone == HIDDEN_PHONE else profile.phone
    if contact.phone_verified and profile.phone != HIDDEN_PHONE:
        phone += " ✓"
    lines = [f"@{contact.username}" if contact.username else "no username", phone]
    if contact.bsuid:
        lines.append(f"BSUID {contact.bsuid}")
    return lines


def name_line(profile: ContactProfile) -> str:
    """The name the team uses, and Meta's when the team chose another."""
    meta = profile.contact.profile_name
    if profile.name_override and meta and meta != profile.name:
        return f"{profile.name} (WhatsApp: {meta})"
    return profile.name


def tags_line(tags: list[str]) -> str:
    return tags_label(tags) if tags else "no tags"


def attribute_lines(attributes: dict[str, str], width: int) -> list[str]:
    if not attributes:
        return ["none yet"]
    return [one_line(f"{key}: {value}", width) for key, value in sorted(attributes.items())]


def note_line(note: ContactNoteOut, width: int) -> str:
    """The note on one line (it wraps in the panel), cut to ``width`` characters."""
    author = note.author_name or "a former user"
    return one_line(f"{note.created_at:%d %b} {author}: {note.body}", width)


def attendance_line(attendance: AttendanceOut) -> str:
    """``12 Mar Support · Bruno · closed ★5``."""
    who = attendance.agent_name or "nobody"
    text = (
        f"{attendance.entered_at:%d %b} {attendance.queue_name} · {who} · "
        f"{OUTCOMES.get(attendance.outcome, attendance.outcome.value)}"
    )
    if attendance.rating is not None:
        text += f" ★{attendance.rating}"
    return text


def rating_line(profile: ContactProfile) -> str:
    rated = sum(1 for a in profile.attendances if a.rating is not None)
    if profile.rating_average is None:
        return "not rated yet"
    return f"★ {profile.rating_average:.1f} average of {rated} rating{'s' if rated != 1 else ''}"


LANGUAGE_NAMES = {"pt": "Portuguese", "en": "English"}
LANGUAGE_SOURCES = {
    # "detected" needs no words: the text said it.
    "contact": "too short to tell: their earlier messages",
    "conversation": "too short to tell: this conversation's",
    "default": "too short to tell: the tenant's default",
}
"""Why the AI read the latest message in that language (``MoodPoint.language_source``)."""


def mood_line(profile: ContactProfile) -> str:
    """The latest reading and how many messages the line above draws."""
    if not profile.mood:
        return "no analysed message yet"
    last = profile.mood[-1]
    count = len(profile.mood)
    line = f"now {MOOD_MARKS[last.label]}"
    if last.language is not None:
        line += f" · read in {LANGUAGE_NAMES[last.language]}"
        if last.language_source in LANGUAGE_SOURCES:
            line += f" ({LANGUAGE_SOURCES[last.language_source]})"
    return f"{line} · {count} message{'s' if count != 1 else ''}"


def summary_line(summary: ContactSummary) -> str:
    """A search result: name, phone or username, tags."""
    contact = summary.contact
    reach = f"@{contact.username}" if contact.username else summary.phone
    if summary.phone == HIDDEN_PHONE and not contact.username:
        reach = "phone hidden"
    parts = [summary.name, reach] if reach != summary.name else [summary.name]
    if summary.tags:
        parts.append(tags_label(summary.tags))
    return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class ProfileForm:
    """The edit form as typed: the team's name (blank: Meta's), each attribute's value (blank:
    remove it), and one new attribute."""

    name: str
    attributes: dict[str, str]
    new_key: str = ""
    new_value: str = ""

    def changes(self, profile: ContactProfile) -> ContactUpdate:
        """Only what differs from ``profile`` (a PATCH merges attributes; None removes)."""
        fields: dict[str, object] = {}
        name = " ".join(self.name.split())
        if name != (profile.name_override or ""):
            fields["name"] = name or None
        attributes: dict[str, str | None] = {}
        for key, value in self.attributes.items():
            if value.strip() != profile.attributes.get(key):
                attributes[key] = value.strip() or None
        key = self.new_key.strip().lower()
        if key:
            if not self.new_value.strip():
                raise ProfileFormError(f"Give the new attribute {key!r} a value.")
            attributes[key] = self.new_value.strip()
        elif self.new_value.strip():
            raise ProfileFormError("Name the new attribute (e.g. plan, city, order_id).")
        if attributes:
            fields["attributes"] = attributes
        try:
            return ContactUpdate.model_validate(fields)
        except ValidationError as error:
            first = error.errors()[0]
            raise ProfileFormError(str(first["msg"]).removeprefix("Value error, ")) from None
