"""Configuration transfer (admins): the tenant's configuration to a YAML file on this machine,
and a file back in: its diff is shown first (a dry run on the daemon), and applying it, all or
nothing, asks to confirm. The file is the one ``pytake config export|import`` reads and writes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, DataTable, Header, Input, Static

from pytake_daemon.protocol import Me, ProblemField
from pytake_daemon.protocol.tenant_config import ChangeKind, ImportResult
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.i18n import N_, _, ngettext, pgettext
from pytake_tui.messages import SessionExpired
from pytake_tui.screens.admin_confirm import confirm_then
from pytake_tui.widgets.footer import Footer

_STYLES = {
    ChangeKind.CREATED: "green",
    ChangeKind.CHANGED: "yellow",
    ChangeKind.UNCHANGED: "dim",
    ChangeKind.DELETED: "red",
}


def _change_word(kind: ChangeKind, *, applied: bool) -> str:
    if kind is ChangeKind.DELETED and not applied:
        return pgettext("config change", "would delete")
    return {
        ChangeKind.CREATED: pgettext("config change", "created"),
        ChangeKind.CHANGED: pgettext("config change", "changed"),
        ChangeKind.UNCHANGED: pgettext("config change", "unchanged"),
        ChangeKind.DELETED: pgettext("config change", "deleted"),
    }[kind]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class ConfigTransferScreen(Screen[None]):
    """Export to a file path; import a file: preview its diff, then apply it (confirmed)."""

    CSS_PATH = "config_transfer.tcss"
    BINDINGS = [
        Binding("ctrl+s", "export", N_("Export")),
        Binding("ctrl+r", "preview", N_("Preview import")),
        Binding("ctrl+y", "apply", N_("Apply import")),
        Binding("escape", "app.pop_screen", N_("Back")),
    ]

    def __init__(self, *, client: DaemonClient, me: Me, directory: Path) -> None:
        super().__init__()
        self._client = client
        self._me = me
        self._default = directory / f"{me.tenant_slug}-config.yaml"
        self.previewed: str | None = None
        """The text of the last file previewed without problems (what ``apply`` sends)."""
        self.result: ImportResult | None = None
        self.problems: list[ProblemField] = []
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="transfer-page"):
            yield Static(_("Export this tenant's configuration (no secrets)"), classes="title")
            with Horizontal(classes="row"):
                yield Input(str(self._default), id="export-path", placeholder=_("file to write"))
                yield Button(_("Export (ctrl+s)"), id="export")
            yield Static(_("Import a configuration file"), classes="title")
            with Horizontal(classes="row"):
                yield Input(str(self._default), id="import-path", placeholder=_("file to read"))
                yield Button(_("Preview (ctrl+r)"), id="preview")
                yield Button(_("Apply (ctrl+y)"), id="apply", variant="warning", disabled=True)
            yield Static("", id="transfer-status")
            yield Static("", id="problems")
            yield DataTable(id="changes", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#changes", DataTable).display = False
        self.query_one("#export-path", Input).focus()

    def _table(self) -> DataTable[Text]:
        """The diff's table, emptied; columns again, so their widths fit the new rows."""
        table: DataTable[Text] = self.query_one("#changes", DataTable)
        table.clear(columns=True)
        table.add_column(_("change"), width=14)
        table.add_column(_("where"))
        table.add_column(_("item"))
        return table

    @on(Button.Pressed, "#export")
    def _export_pressed(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#preview")
    def _preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    def _path(self, field: str) -> Path:
        return Path(self.query_one(f"#{field}", Input).value.strip()).expanduser()

    def _status(self, text: str | Content) -> None:
        # Content, not markup: paths and the daemon's sentences may hold brackets.
        self.query_one("#transfer-status", Static).update(
            Content(text) if isinstance(text, str) else text
        )

    def _failed(self, title: str, error: DaemonError) -> None:
        if error.unauthorized:
            self.post_message(SessionExpired(_("your session has ended")))
            return
        self._status(
            Content.styled(
                _("✗ {title}: {message}").format(title=title, message=error.message), "red"
            )
        )
        self.notify(error.message, title=title, severity="error", markup=False)

    # Export

    def action_export(self) -> None:
        """Write the tenant's configuration to the export path."""
        if not self.busy:
            self.busy = True
            self._export(self._path("export-path"))

    @work(exclusive=True, exit_on_error=False, group="config-transfer")
    async def _export(self, path: Path) -> None:
        try:
            text = await self._client.export_config()
        except DaemonError as error:
            self._failed(_("Export failed"), error)
            return
        finally:
            self.busy = False
        try:
            await asyncio.to_thread(_write, path, text)
        except OSError as error:
            self._status(
                Content.styled(
                    _("✗ cannot write {path}: {strerror}").format(
                        path=path, strerror=error.strerror
                    ),
                    "red",
                )
            )
            return
        lines = len(text.splitlines())
        self._status(
            ngettext("✓ wrote {n} line to {path}", "✓ wrote {n} lines to {path}", lines).format(
                n=lines, path=path
            )
        )
        self.notify(str(path), title=_("Configuration exported"), markup=False)

    # Import

    def _read(self) -> str | None:
        path = self._path("import-path")
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self._status(
                Content.styled(
                    _("✗ cannot read {path}: {reason}").format(path=path, reason=reason), "red"
                )
            )
            return None

    def action_preview(self) -> None:
        """Ask the daemon what the import file would change; nothing is applied."""
        text = self._read()
        if text is not None and not self.busy:
            self.busy = True
            self._send(text, apply=False)

    def action_apply(self) -> None:
        """Apply the previewed file, after a confirmation."""
        text = self._read()
        if text is None or self.busy:
            return
        if self.previewed is None or text != self.previewed or self.result is None:
            self._status(_("Preview the file first (ctrl+r): its diff is shown before applying."))
            return
        changed = sum(c.kind is not ChangeKind.UNCHANGED for c in self.result.changes)
        question = ngettext(
            "Apply {n} change to {tenant}?", "Apply {n} changes to {tenant}?", changed
        ).format(n=changed, tenant=self._me.tenant_slug)

        def apply() -> None:
            if not self.busy:
                self.busy = True
                self._send(text, apply=True)

        confirm_then(
            self,
            question,
            _("It is applied in one transaction; n keeps things as they are."),
            _("Apply"),
            apply,
        )

    @work(exclusive=True, exit_on_error=False, group="config-transfer")
    async def _send(self, text: str, *, apply: bool) -> None:
        try:
            result = await self._client.import_config(text, apply=apply)
        except DaemonError as error:
            self._refused(error)
            return
        finally:
            self.busy = False
        self._show(result, text)

    def _refused(self, error: DaemonError) -> None:
        self.previewed = None
        self.query_one("#apply", Button).disabled = True
        if error.status == 422 and error.fields:
            self.problems = list(error.fields)
            self._list_problems()
            self._status(
                Content.styled(
                    ngettext(
                        "✗ {n} problem in the file; nothing applied",
                        "✗ {n} problems in the file; nothing applied",
                        len(self.problems),
                    ).format(n=len(self.problems)),
                    "red",
                )
            )
            return
        self._failed(_("Import failed"), error)

    def _list_problems(self) -> None:
        lines = [f"{p.loc}: {p.msg}" for p in self.problems]
        self.query_one("#problems", Static).update(Content("\n".join(lines)))
        self._table().display = False

    def _show(self, result: ImportResult, text: str) -> None:
        self.result = result
        self.problems = []
        self.query_one("#problems", Static).update("")
        table = self._table()
        table.display = True
        for change in result.changes:
            word = _change_word(change.kind, applied=result.applied)
            style = _STYLES[change.kind]
            # rich Text, not Content: the table sizes its columns by the cells' widths.
            table.add_row(
                Text(f"{change.kind.mark} {word}", style=style),
                Text(change.path or change.section),
                Text(change.item.removeprefix(f"{change.path or change.section}  ")),
            )
        apply_button = self.query_one("#apply", Button)
        if result.applied:
            self.previewed = None
            apply_button.disabled = True
            self._status(
                Content.styled(_("✓ applied: {summary}").format(summary=result.summary), "green")
            )
            self.notify(result.summary, title=_("Configuration applied"), markup=False)
        else:
            self.previewed = text
            pending = any(c.kind is not ChangeKind.UNCHANGED for c in result.changes)
            apply_button.disabled = not pending
            preview = (
                _("Preview: {summary} — ctrl+y applies it")
                if pending
                else _("Preview: {summary} — nothing to apply")
            )
            self._status(preview.format(summary=result.summary))
