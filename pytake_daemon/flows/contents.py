"""What a flow's message and ask nodes send, built from their settings with ``{{variables}}``
rendered (``text``)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError

from pytake_daemon.protocol.flows import (
    Ask,
    AskValidation,
    FlowNode,
    MsgButtons,
    MsgList,
    MsgMedia,
    MsgTemplate,
    MsgText,
)
from pytake_daemon.protocol.outgoing import (
    AudioOut,
    ButtonsOut,
    DocumentOut,
    ImageOut,
    ListOut,
    ListRow,
    ListSection,
    OutgoingContent,
    ReplyButton,
    TemplateBodyOut,
    TemplateOut,
    TextOut,
    VideoOut,
)

Render = Callable[[str], str]


def message_content(node: FlowNode, text: Render) -> OutgoingContent | str:
    """What a message node sends, or why it can't be built (a field over WhatsApp's limits)."""
    try:
        return _build(node, text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"message can't be sent: {where}: {first['msg']}"


def _build(node: FlowNode, text: Render) -> OutgoingContent:
    match node:
        case MsgText():
            return TextOut(body=text(node.text))
        case MsgTemplate():
            components = (
                [TemplateBodyOut(parameters=[text(p) for p in node.body_parameters])]
                if node.body_parameters
                else []
            )
            return TemplateOut(name=node.name, language=node.language, components=components)
        case MsgButtons():
            return ButtonsOut(
                body=text(node.text),
                buttons=[ReplyButton(id=b.id, title=b.title) for b in node.buttons],
            )
        case MsgList():
            rows = [
                ListRow(id=o.id, title=o.title, description=o.description) for o in node.options
            ]
            return ListOut(
                body=text(node.text),
                button=node.button,
                sections=[ListSection(rows=rows)],
            )
        case MsgMedia():
            caption = text(node.caption) if node.caption else None
            source = {"link": node.link, "media_id": node.media_id}
            if node.media_type == "image":
                return ImageOut(**source, caption=caption)
            if node.media_type == "video":
                return VideoOut(**source, caption=caption)
            if node.media_type == "document":
                return DocumentOut(**source, caption=caption)
            return AudioOut(**source)
    raise AssertionError(f"{node.type} sends nothing")


def question_content(node: Ask, text: Render) -> OutgoingContent | str:
    """An ask's question: reply buttons for up to three short options, else a numbered list."""
    question = text(node.question)
    try:
        options = node.options
        if (
            node.validation == AskValidation.OPTION
            and len(options) <= 3
            and all(len(o) <= 20 for o in options)
        ):
            return ButtonsOut(body=question, buttons=[ReplyButton(id=o, title=o) for o in options])
        if node.validation == AskValidation.OPTION:
            listed = "\n".join(f"{i}. {o}" for i, o in enumerate(options, start=1))
            return TextOut(body=f"{question}\n{listed}")
        return TextOut(body=question)
    except ValidationError as exc:
        return f"question can't be sent: {exc.errors(include_url=False)[0]['msg']}"
