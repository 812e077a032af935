"""A contact's profile in the console's words, without Textual: the side panel's lines and the
edit form read into a :class:`ContactUpdate`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
from pytake_i18n import format_number, format_skeleton
from pytake_tui.i18n import N_, _, ngettext
from pytake_tui.replies import one_line, tags_label
from pytake_tui.validation_words import validation_sentence

OUTCOMES: dict[ItemStatus, str] = {
    ItemStatus.COMPLETED: N_("closed"),
    ItemStatus.ABANDONED: N_("left the queue"),
    ItemStatus.TIMED_OUT: N_("timed out"),
    ItemStatus.TRANSFERRED: N_("transferred"),
    ItemStatus.WAITING: N_("waiting now"),
    ItemStatus.ASSIGNED: N_("being attended"),
}
"""``N_`` msgids, translated where shown (as are :data:`MOOD_MARKS`)."""
MOOD_MARKS = {
    "positive": N_("☺ positive"),
    "neutral": N_("· neutral"),
    "negative": N_("☹ negative"),
}


def _short_day(at: datetime) -> str:
    """``Mar 12`` / ``12 de mar.``: the day alone, in the reader's order."""
    return format_skeleton("dMMM", at, at.tzinfo)


ProfileLike = ContactProfile | ContactSummary


class ProfileFormError(ValueError):
    """What is wrong with the profile form, as one sentence for a toast."""


def identity_lines(profile: ProfileLike) -> list[str]:
    """Username, phone (or that it is hidden) and BSUID, one a line."""
    contact = profile.contact
    phone = _("phone hidden") if profile.phone == HIDDEN_PHONE else profile.phone
    if contact.phone_verified and profile.phone != HIDDEN_PHONE:
        phone += " ✓"
    lines = [f"@{contact.username}" if contact.username else _("no username"), phone]
    if contact.bsuid:
        lines.append(f"BSUID {contact.bsuid}")
    return lines


def name_line(profile: ContactProfile) -> str:
    """The name the team uses, and Meta's when the team chose another."""
    meta = profile.contact.profile_name
    if profile.name_override and meta and meta != profile.name:
        return _("{name} (WhatsApp: {meta})").format(name=profile.name, meta=meta)
    return profile.name


def tags_line(tags: list[str]) -> str:
    return tags_label(tags) if tags else _("no tags")


def attribute_lines(attributes: dict[str, str], width: int) -> list[str]:
    if not attributes:
        return [_("none yet")]
    return [one_line(f"{key}: {value}", width) for key, value in sorted(attributes.items())]


def note_line(note: ContactNoteOut, width: int) -> str:
    """The note on one line (it wraps in the panel), cut to ``width`` characters."""
    author = note.author_name or _("a former user")
    return one_line(f"{_short_day(note.created_at)} {author}: {note.body}", width)


def attendance_line(attendance: AttendanceOut) -> str:
    """``12 Mar Support · Bruno · closed ★5``."""
    who = attendance.agent_name or _("nobody")
    outcome = OUTCOMES.get(attendance.outcome)
    text = (
        f"{_short_day(attendance.entered_at)} {attendance.queue_name} · {who} · "
        f"{_(outcome) if outcome else attendance.outcome.value}"
    )
    if attendance.rating is not None:
        text += f" ★{attendance.rating}"
    return text


def rating_line(profile: ContactProfile) -> str:
    rated = sum(1 for a in profile.attendances if a.rating is not None)
    if profile.rating_average is None:
        return _("not rated yet")
    return ngettext(
        "★ {average} average of {n} rating", "★ {average} average of {n} ratings", rated
    ).format(average=format_number(profile.rating_average, pattern="0.0"), n=rated)


LANGUAGE_NAMES = {"pt": N_("Portuguese"), "en": N_("English")}
LANGUAGE_SOURCES = {
    # "detected" needs no words: the text said it.
    "contact": N_("too short to tell: their earlier messages"),
    "conversation": N_("too short to tell: this conversation's"),
    "default": N_("too short to tell: the tenant's default"),
}
"""Why the AI read the latest message in that language (``MoodPoint.language_source``)."""


def mood_line(profile: ContactProfile) -> str:
    """The latest reading and how many messages the line above draws."""
    if not profile.mood:
        return _("no analysed message yet")
    last = profile.mood[-1]
    count = len(profile.mood)
    line = _("now {mood}").format(mood=_(MOOD_MARKS[last.label]))
    if last.language is not None:
        line += " · " + _("read in {language}").format(language=_(LANGUAGE_NAMES[last.language]))
        if last.language_source in LANGUAGE_SOURCES:
            line += f" ({_(LANGUAGE_SOURCES[last.language_source])})"
    return f"{line} · " + ngettext("{n} message", "{n} messages", count).format(n=count)


def summary_line(summary: ContactSummary) -> str:
    """A search result: name, phone or username, tags."""
    contact = summary.contact
    reach = f"@{contact.username}" if contact.username else summary.phone
    if summary.phone == HIDDEN_PHONE and not contact.username:
        reach = _("phone hidden")
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
                raise ProfileFormError(_("Give the new attribute {key!r} a value.").format(key=key))
            attributes[key] = self.new_value.strip()
        elif self.new_value.strip():
            raise ProfileFormError(_("Name the new attribute (e.g. plan, city, order_id)."))
        if attributes:
            fields["attributes"] = attributes
        try:
            return ContactUpdate.model_validate(fields)
        except ValidationError as error:
            first = error.errors(include_url=False, include_input=False)[0]
            raise ProfileFormError(validation_sentence(first)) from None
