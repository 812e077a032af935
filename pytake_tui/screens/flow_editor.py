"""The flow editor: a flow's graph, its edits, saving and publishing, and a test conversation.

It is a part of the flows screen (not a screen of its own), so going to another destination
and back keeps an unsaved draft. Every edit changes the :class:`FlowDraft`; ``ctrl+s`` checks
the graph with the daemon first (each problem names its node and field, and the selection
jumps to the first such node), then stores a new version.
"""

from __future__ import annotations

import uuid

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static

from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.flows import (
    TRIGGER_TYPES,
    FlowOut,
    FlowProblem,
    FlowStatus,
    FlowTestResult,
)
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.flow_draft import (
    NODE_MODELS,
    SHORT_TYPES,
    FlowDraft,
    LitPath,
    lit_path,
    problem_nodes,
)
from pytake_tui.i18n import N_, _, pgettext
from pytake_tui.screens.flow_dialogs import ChoiceDialog, ConfirmDialog
from pytake_tui.widgets.flow_graph import FlowGraph
from pytake_tui.widgets.flow_test_panel import FlowTestPanel
from pytake_tui.widgets.node_form import NodeForm

DISCONNECT = "\0disconnect"
NOT_CONNECTED = "\0none"


def denied(error: DaemonError, only_admins: str) -> str:
    """The toast for a refused change: a 403 says who may do it (``only_admins``, the whole
    translated sentence), anything else the daemon's own words."""
    if error.status == 403:
        return only_admins
    return error.message


def flow_status(status: FlowStatus) -> str:
    return {
        FlowStatus.DRAFT: pgettext("flow", "draft"),
        FlowStatus.PUBLISHED: pgettext("flow", "published"),
        FlowStatus.ARCHIVED: pgettext("flow", "archived"),
    }.get(status, status.value)


class FlowEditor(Vertical):
    """Edit one flow; posts :class:`Closed` when the user goes back to the list."""

    BINDINGS = [
        Binding("a", "add", N_("Add")),
        Binding("c", "connect", N_("Connect")),
        Binding("e", "edit", N_("Edit")),
        Binding("x,delete", "remove", N_("Remove")),
        Binding("ctrl+s", "save", N_("Save")),
        Binding("p", "publish", N_("Publish")),
        Binding("t", "test_panel", N_("Test")),
        Binding("ctrl+r", "restart_test", N_("Restart test"), show=False),
        Binding("escape", "close", N_("Back")),
    ]

    class Closed(Message):
        """Back to the list; ``changed`` when something was saved or published."""

        def __init__(self, changed: bool) -> None:
            super().__init__()
            self.changed = changed

    def __init__(self, *, client: DaemonClient, me: Me, id: str | None = None) -> None:
        super().__init__(id=id)
        self._client = client
        self._me = me
        self.draft = FlowDraft(name="")
        self.flow: FlowOut | None = None
        self.problems: list[FlowProblem] = []
        self._changed = False
        self._leaving = False

    def compose(self) -> ComposeResult:
        yield Static(id="editor-status")
        with Horizontal(id="editor-body"):
            yield FlowGraph(id="graph")
            yield FlowTestPanel(client=self._client, saved_flow=self._saved_flow, id="test-panel")
        yield Static(id="problems")

    # Loading

    def start(self, flow: FlowOut | None, name: str) -> None:
        """Edit ``flow``, or a new flow called ``name`` when None."""
        self.flow = flow
        self.draft = FlowDraft.from_flow(flow) if flow is not None else FlowDraft(name=name)
        self.problems = []
        self._changed = self._leaving = False
        graph = self.query_one(FlowGraph)
        graph.selected = None
        graph.path = LitPath()
        graph.problems = set()
        self.query_one(FlowTestPanel).restart()
        self._redraw()
        graph.focus()

    def _redraw(self) -> None:
        self.query_one(FlowGraph).show(self.draft.nodes, self.draft.edges)
        self._show_status()

    def _show_status(self) -> None:
        flow = self.flow
        parts = [self.draft.name]
        if flow is None:
            parts.append(_("new, not saved"))
        else:
            parts.append(f"v{flow.version}")
            published = flow.published_version
            parts.append(flow_status(flow.status) + (f" v{published}" if published else ""))
        if self.draft.dirty and flow is not None:
            parts.append(_("unsaved changes"))
        if not self.can_change:
            parts.append(_("view and test only"))
        selected = self.query_one(FlowGraph).selected
        node = self.draft.node(selected) if selected is not None else None
        if node is not None:
            parts.append(f"▸ {node.id} ({node.type})")
        self.query_one("#editor-status", Static).update(" · ".join(parts))
        problems = self.query_one("#problems", Static)
        problems.update("\n".join(f"✗ {p}" for p in self.problems))
        problems.display = bool(self.problems)

    def on_flow_graph_selected(self, message: FlowGraph.Selected) -> None:
        self._show_status()

    def on_flow_graph_opened(self, message: FlowGraph.Opened) -> None:
        self.action_edit()

    # Editing

    def _selected(self) -> str | None:
        return self.query_one(FlowGraph).selected

    @work(exclusive=True, exit_on_error=False, group="edit")
    async def action_add(self) -> None:
        options = [(t, f"{t} ({_(SHORT_TYPES[t])})") for t in NODE_MODELS]
        node_type = await self.app.push_screen_wait(ChoiceDialog(_("Add a node of type"), options))
        if node_type is None:
            return
        source = self._selected()
        branch: str | None = None
        if source is not None and node_type not in TRIGGER_TYPES:
            branch = await self._pick_branch(
                source,
                _("Reach {node_type} from {source} by").format(node_type=node_type, source=source),
            )
            if branch == NOT_CONNECTED:
                source, branch = None, None
            elif branch is None:
                return
        base = {"type": node_type, "id": self.draft.new_id(node_type)}
        node = await self.app.push_screen_wait(NodeForm(base, self.draft.ids()))
        if node is None:
            return
        self.draft.add(node, source, branch)
        self._redraw()
        self.query_one(FlowGraph).select(node.id)
        self._show_status()

    async def _pick_branch(self, source: str, title: str) -> str | None:
        """A branch of ``source``: the only free one at once, else the user's choice."""
        branches = self.draft.branches(source)
        taken = self.draft.outgoing(source)
        free = [b for b in branches if b not in taken]
        if not branches:
            return NOT_CONNECTED
        if len(free) == 1 and len(branches) == 1:
            return free[0]
        options = [(b, b) for b in free]
        options += [
            (b, _("{branch} (now → {target}, replace)").format(branch=b, target=taken[b]))
            for b in branches
            if b in taken
        ]
        options.append((NOT_CONNECTED, _("(not connected)")))
        return await self.app.push_screen_wait(ChoiceDialog(title, options))

    @work(exclusive=True, exit_on_error=False, group="edit")
    async def action_edit(self) -> None:
        selected = self._selected()
        node = self.draft.node(selected) if selected is not None else None
        if node is None:
            self.notify(_("Select a node first (a adds one)"), severity="warning")
            return
        base = node.model_dump(mode="json", exclude_none=True)
        edited = await self.app.push_screen_wait(NodeForm(base, self.draft.ids()))
        if edited is None:
            return
        self.draft.replace(node.id, edited)
        self.query_one(FlowGraph).selected = edited.id
        self._redraw()

    @work(exclusive=True, exit_on_error=False, group="edit")
    async def action_remove(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        question = _("Remove {node} and its connectors?").format(node=selected)
        if await self.app.push_screen_wait(ConfirmDialog(question, _("Remove"))):
            self.draft.remove(selected)
            self._redraw()

    @work(exclusive=True, exit_on_error=False, group="edit")
    async def action_connect(self) -> None:
        source = self._selected()
        if source is None:
            return
        if not self.draft.branches(source):
            self.notify(
                _("{source} ends the flow: it has no branches").format(source=source),
                severity="warning",
            )
            return
        branch = await self._pick_branch(source, _("Connect {source} by").format(source=source))
        if branch is None or branch == NOT_CONNECTED:
            return
        targets = [
            (n.id, f"{n.id} ({n.type})") for n in self.draft.nodes if n.type not in TRIGGER_TYPES
        ]
        if branch in self.draft.outgoing(source):
            targets.append((DISCONNECT, _("(disconnect)")))
        target = await self.app.push_screen_wait(
            ChoiceDialog(
                _("{source} · {branch} leads to").format(source=source, branch=branch), targets
            )
        )
        if target is None:
            return
        if target == DISCONNECT:
            self.draft.disconnect(source, branch)
        else:
            self.draft.connect(source, branch, target)
        self._redraw()

    # Saving and publishing

    @work(exclusive=True, exit_on_error=False, group="save")
    async def action_save(self) -> None:
        try:
            document = self.draft.document()
        except ValidationError:
            self.notify(_("Add a node first"), severity="warning")
            return
        try:
            validation = await self._client.validate_flow(document)
            if not validation.valid:
                self._show_problems(validation.problems)
                return
            if self.flow is None:
                flow = await self._client.create_flow(document)
            else:
                flow = await self._client.update_flow(self.flow.id, self.draft.update())
        except DaemonError as error:
            self.notify(
                denied(error, _("Only admins can save flows")),
                title=_("Not saved"),
                severity="error",
            )
            return
        self.flow = flow
        self.draft.dirty = False
        self._changed = True
        self._show_problems([])
        self.notify(
            _("Saved {name} version {version}").format(name=flow.name, version=flow.version),
            title=_("Saved"),
        )

    def _show_problems(self, problems: list[FlowProblem]) -> None:
        self.problems = problems
        graph = self.query_one(FlowGraph)
        nodes = problem_nodes(problems, self.draft)
        graph.mark_problems(set(nodes))
        if nodes:
            graph.select(nodes[0])
        self._show_status()

    @work(exclusive=True, exit_on_error=False, group="save")
    async def action_publish(self) -> None:
        flow = self.flow
        if flow is None or self.draft.dirty:
            self.notify(_("Save first (ctrl+s)"), severity="warning")
            return
        question = _(
            "Publish version {version} of {name}? "
            "New conversations start on it; running ones keep their version."
        ).format(version=flow.version, name=flow.name)
        if not await self.app.push_screen_wait(ConfirmDialog(question, _("Publish"))):
            return
        try:
            self.flow = await self._client.publish_flow(flow.id, flow.version)
        except DaemonError as error:
            self.notify(
                denied(error, _("Only admins can publish flows")),
                title=_("Not published"),
                severity="error",
            )
            return
        self._changed = True
        self._show_status()
        self.notify(
            _("Version {version} of {name} is published").format(
                version=flow.version, name=flow.name
            ),
            title=_("Published"),
        )

    # The test conversation

    @property
    def result(self) -> FlowTestResult | None:
        """The test conversation's last run."""
        return self.query_one(FlowTestPanel).result

    def _saved_flow(self) -> uuid.UUID | None:
        """What the test panel may run: the saved flow, when there are no unsaved edits."""
        return None if self.flow is None or self.draft.dirty else self.flow.id

    def action_test_panel(self) -> None:
        if not self.query_one(FlowTestPanel).toggle():
            self.query_one(FlowGraph).focus()

    def action_restart_test(self) -> None:
        self.query_one(FlowTestPanel).restart()

    def on_flow_test_panel_ran(self, message: FlowTestPanel.Ran) -> None:
        graph = self.query_one(FlowGraph)
        if message.result is None:
            graph.light(LitPath())
            return
        path = lit_path(message.result)
        graph.light(path)
        if path.nodes:
            # The graph follows the conversation: the node it stopped at is in view.
            graph.select(path.nodes[-1])

    # Leaving

    def action_close(self) -> None:
        if self.app.focused is self.query_one("#say", Input):
            self.query_one(FlowGraph).focus()
            return
        if self.draft.dirty and not self._leaving:
            self._leaving = True
            self.notify(_("Unsaved changes: ctrl+s saves, escape again leaves without saving"))
            return
        self.post_message(self.Closed(self._changed))

    @property
    def can_change(self) -> bool:
        """Whether the daemon will take this user's changes (it says so with a 403 anyway)."""
        return self._me.role.at_least(Role.ADMIN)
