"""A template submission read from the console's form: Meta's component definitions (header,
body, footer, quick-reply buttons) with the examples Meta's reviewers require for each
placeholder. Nothing here knows Textual; the protocol's ``TemplateCreate`` checks the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytake_tui.i18n import _, pgettext
from pytake_tui.template_form import placeholders


class SubmissionError(ValueError):
    """A problem about one field of the form (``field`` names it)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _examples(field: str, text: str, given: str) -> list[str]:
    wanted = placeholders(text)
    examples = [e.strip() for e in given.split("|") if e.strip()] if given.strip() else []
    if len(examples) != len(wanted):
        names = ", ".join("{{" + w + "}}" for w in wanted) or pgettext("placeholders", "none")
        raise SubmissionError(
            field,
            _(
                "give one example per placeholder ({names}), separated by |: "
                "{wanted} wanted, {given} given"
            ).format(names=names, wanted=len(wanted), given=len(examples)),
        )
    return examples


@dataclass(frozen=True, slots=True)
class TemplateDraft:
    """The form's text fields, as typed."""

    header: str = ""
    header_example: str = ""
    body: str = ""
    body_examples: str = ""
    footer: str = ""
    quick_replies: str = ""

    def components(self) -> list[dict[str, Any]]:
        """Meta's components, in Meta's order; raises :class:`SubmissionError`."""
        result: list[dict[str, Any]] = []
        if self.header.strip():
            header: dict[str, Any] = {"type": "HEADER", "format": "TEXT", "text": self.header}
            examples = _examples("header_example", self.header, self.header_example)
            if examples:
                header["example"] = {"header_text": examples}
            result.append(header)
        if not self.body.strip():
            raise SubmissionError("body", _("a template needs a body"))
        body: dict[str, Any] = {"type": "BODY", "text": self.body}
        examples = _examples("body_examples", self.body, self.body_examples)
        if examples:
            body["example"] = {"body_text": [examples]}
        result.append(body)
        if self.footer.strip():
            result.append({"type": "FOOTER", "text": self.footer})
        replies = [r.strip() for r in self.quick_replies.split(",") if r.strip()]
        if replies:
            buttons = [{"type": "QUICK_REPLY", "text": r} for r in replies]
            result.append({"type": "BUTTONS", "buttons": buttons})
        return result
