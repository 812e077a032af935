"""The admin area's list of pages, shown by the hub and by Settings → Admin.

It knows nothing of the pages' screens: it lists what it is given and says which was chosen,
so the hub's single list (``screens/admin.py``) stays the one place a page is added.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from pytake_daemon.protocol import Me, Role
from pytake_tui.i18n import _
from pytake_tui.navigation import SessionContext


@dataclass(frozen=True, slots=True)
class AdminPage:
    """One page of the admin area: a screen of its own (``build``), or a destination the
    console already has (``destination``, e.g. ``replies``) that the hub only links to."""

    name: str
    title: str
    """An ``N_`` msgid, translated where it is shown (as is ``description``)."""
    description: str
    destination: str | None = None
    build: Callable[[SessionContext], Screen[None]] | None = None
    role: Role = Role.ADMIN

    def allowed(self, me: Me) -> bool:
        return me.role.at_least(self.role)


class AdminPageList(OptionList):
    """The pages the user's role may open; enter (or a click) chooses one."""

    class Chosen(Message):
        def __init__(self, page: AdminPage) -> None:
            super().__init__()
            self.page = page

    def __init__(self, pages: Sequence[AdminPage], me: Me, *, id: str | None = None) -> None:
        self.pages = [p for p in pages if p.allowed(me)]
        super().__init__(
            *(
                Option(
                    Content.assemble((_(p.title), "bold"), "  ", (_(p.description), "dim")), p.name
                )
                for p in self.pages
            ),
            id=id,
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.pages[event.option_index]))
