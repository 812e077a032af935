"""The translations' guard: every msgid the code uses is in every catalog, translated, not fuzzy;
and the console's converted modules pass every user-visible literal through the catalog.

Generic over the packages that own a catalog (``<package>/locale/``), so a package that starts
translating is guarded from its first string.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from pytake_i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent.name for p in ROOT.glob("pytake_*/locale") if p.is_dir())
MAPPING = [("**.py", "python")]


def _used_msgids(package: str) -> set[tuple[str | None, str]]:
    """(context, msgid) of each translation call in the package's sources, as pybabel sees them."""
    found: set[tuple[str | None, str]] = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT / package, method_map=MAPPING
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            found.add((context, msgid))
    return found


def test_some_package_has_a_catalog() -> None:
    assert "pytake_tui" in PACKAGES


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated(package: str, language: str) -> None:
    po = ROOT / package / "locale" / language / "LC_MESSAGES" / f"{package}.po"
    assert po.exists(), f"{po} is missing: scripts/i18n.sh update {package}"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    assert not catalog.fuzzy, f"{po}: the header is marked fuzzy (pybabel compile skips it)"
    entries: dict[tuple[str | None, str], object] = {}
    problems: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        entries[(message.context, msgid)] = message.string
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(strings):
            problems.append(f"empty: {msgid!r}")
    for context, msgid in sorted(_used_msgids(package), key=str):
        if (context, msgid) not in entries:
            where = f" (context {context!r})" if context else ""
            problems.append(f"missing{where}: {msgid!r}")
    assert not problems, f"{po}: run scripts/i18n.sh update {package} and translate:\n" + "\n".join(
        problems
    )


def _fields(text: str) -> set[str]:
    return {field for _lit, field, _spec, _conv in Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_name_the_msgid_fields(package: str, language: str) -> None:
    """A translation's ``{fields}`` are its msgid's: a missing or misspelt one is a KeyError (or
    a value silently dropped) when the sentence is formatted."""
    po = ROOT / package / "locale" / language / "LC_MESSAGES" / f"{package}.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    wrong: list[str] = []
    for message in catalog:
        if not message.id or "python-brace-format" not in message.flags:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        allowed = set().union(*(_fields(i) for i in ids))
        for string in strings:
            if string and not (
                _fields(string) <= allowed and (len(ids) > 1 or _fields(string) == allowed)
            ):
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, f"{po}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_passes_the_compilers_checks(package: str, language: str) -> None:
    """What ``pybabel compile`` checks (scripts/bootstrap.sh runs it): a catalog it refuses leaves
    no .mo file, so every process compiles the catalog in memory at start instead."""
    po = ROOT / package / "locale" / language / "LC_MESSAGES" / f"{package}.po"
    with po.open("rb") as handle:
        catalog = read_po(handle)
    errors = [f"{message.id!r}: {error}" for message, errs in catalog.check() for error in errs]
    assert not errors, f"{po}:\n" + "\n".join(errors)


# --- the console's literals -------------------------------------------------------------------

CONVERTED = [
    "pytake_tui/app.py",
    "pytake_tui/api/transport.py",
    "pytake_tui/backup_view.py",
    "pytake_tui/connection.py",
    "pytake_tui/console_language.py",
    "pytake_tui/key_guide.py",
    "pytake_tui/dashboard_view.py",
    "pytake_tui/message_view.py",
    "pytake_tui/messages.py",
    "pytake_tui/notifications.py",
    "pytake_tui/toasts.py",
    "pytake_tui/screens/dashboard.py",
    "pytake_tui/screens/dashboard_keys.py",
    "pytake_tui/screens/notifications.py",
    "pytake_tui/screens/notifications_keys.py",
    "pytake_tui/screens/queue_dialogs.py",
    "pytake_tui/screens/queue_keys.py",
    "pytake_tui/screens/queue_monitor.py",
    "pytake_tui/widgets/backup_status.py",
    "pytake_tui/widgets/charts.py",
    "pytake_tui/widgets/goal_bars.py",
    "pytake_tui/widgets/live_table.py",
    "pytake_tui/widgets/queue_actions.py",
    "pytake_tui/widgets/queue_columns.py",
    "pytake_tui/widgets/queue_header.py",
    "pytake_tui/widgets/stat_cards.py",
    "pytake_tui/widgets/timeline.py",
    "pytake_tui/screens/chat.py",
    "pytake_tui/screens/chat_actions.py",
    "pytake_tui/screens/chat_keys.py",
    "pytake_tui/vocabulary.py",
    "pytake_tui/widgets/composer.py",
    "pytake_tui/widgets/contact_profile.py",
    "pytake_tui/widgets/conversation_actions.py",
    "pytake_tui/widgets/conversation_list.py",
    "pytake_tui/widgets/conversation_pane.py",
    "pytake_tui/widgets/conversation_sidebar.py",
    "pytake_tui/widgets/filter_bar.py",
    "pytake_tui/widgets/status_switcher.py",
    "pytake_tui/widgets/system_line.py",
    "pytake_tui/widgets/thread.py",
    "pytake_tui/settings_handling.py",
    "pytake_tui/screens/help.py",
    "pytake_tui/screens/home.py",
    "pytake_tui/screens/login.py",
    "pytake_tui/screens/settings.py",
    "pytake_tui/screens/splash.py",
    "pytake_tui/widgets/footer.py",
    "pytake_tui/widgets/key_footer.py",
    "pytake_tui/screens/admin.py",
    "pytake_tui/screens/admin_agent_form.py",
    "pytake_tui/screens/admin_agents.py",
    "pytake_tui/screens/admin_confirm.py",
    "pytake_tui/screens/admin_invitations.py",
    "pytake_tui/screens/admin_queue_form.py",
    "pytake_tui/screens/admin_queues.py",
    "pytake_tui/screens/admin_template_form.py",
    "pytake_tui/screens/admin_templates.py",
    "pytake_tui/screens/admin_user_dialogs.py",
    "pytake_tui/screens/ai_settings.py",
    "pytake_tui/widgets/ai_settings.py",
    "pytake_tui/screens/api_token_dialogs.py",
    "pytake_tui/screens/api_tokens.py",
    "pytake_tui/screens/numbers_admin.py",
    "pytake_tui/screens/tenant_profile.py",
    "pytake_tui/screens/capacity_override.py",
    "pytake_tui/widgets/admin_form.py",
    "pytake_tui/widgets/admin_pages.py",
    "pytake_tui/widgets/invite_queues.py",
    "pytake_tui/screens/admin_live.py",
    "pytake_tui/template_form.py",
    "pytake_tui/template_submission.py",
    "pytake_tui/queue_settings_form.py",
    "pytake_tui/destinations.py",
    "pytake_tui/widgets/channel_grid.py",
    "pytake_tui/screens/admin_users.py",
    "pytake_tui/screens/challenge_manager.py",
    "pytake_tui/screens/challenge_dialog.py",
    "pytake_tui/screens/outbound_webhooks.py",
    "pytake_tui/screens/outbound_webhooks_form.py",
    "pytake_tui/screens/config_transfer.py",
    "pytake_tui/widgets/challenge_board.py",
    "pytake_tui/gamification_view.py",
    "pytake_tui/screens/leaderboard.py",
    "pytake_tui/widgets/leaderboard_table.py",
    "pytake_tui/widgets/points_panel.py",
    "pytake_tui/screens/goal_editor.py",
    "pytake_tui/screens/canned_replies.py",
    "pytake_tui/screens/canned_replies_dialogs.py",
    "pytake_tui/replies.py",
    "pytake_tui/screens/contact_dialogs.py",
    "pytake_tui/contact_view.py",
    "pytake_tui/screens/template_picker.py",
    "pytake_tui/screens/notification_preferences.py",
    "pytake_tui/notification_form.py",
    "pytake_tui/screens/onboarding.py",
    "pytake_tui/onboarding_offer.py",
    "pytake_tui/screens/invitation.py",
    "pytake_tui/widgets/onboarding_automation.py",
    "pytake_tui/widgets/onboarding_golive.py",
    "pytake_tui/widgets/onboarding_hours.py",
    "pytake_tui/widgets/onboarding_number.py",
    "pytake_tui/widgets/onboarding_profile.py",
    "pytake_tui/widgets/onboarding_progress.py",
    "pytake_tui/widgets/onboarding_queues.py",
    "pytake_tui/widgets/onboarding_step.py",
    "pytake_tui/widgets/onboarding_team.py",
    "pytake_tui/widgets/onboarding_defaults.py",
    "pytake_tui/screens/audit.py",
    "pytake_tui/screens/audit_detail.py",
    "pytake_tui/audit_view.py",
    "pytake_tui/widgets/audit_side.py",
    "pytake_tui/widgets/audit_table.py",
    "pytake_tui/widgets/audit_chart.py",
    "pytake_tui/screens/system.py",
    "pytake_tui/system_view.py",
    "pytake_tui/screens/backups.py",
    "pytake_tui/widgets/system_daemon.py",
    "pytake_tui/widgets/system_host.py",
    "pytake_tui/widgets/system_lags.py",
    "pytake_tui/widgets/system_panel.py",
    "pytake_tui/widgets/system_postgres.py",
    "pytake_tui/widgets/system_redis.py",
    "pytake_tui/profile_view.py",
    "pytake_tui/screens/insights.py",
    "pytake_tui/insights_view.py",
    "pytake_tui/screens/flows.py",
    "pytake_tui/screens/flow_dialogs.py",
    "pytake_tui/screens/flow_editor.py",
    "pytake_tui/widgets/flow_graph.py",
    "pytake_tui/widgets/flow_test_panel.py",
    "pytake_tui/widgets/node_form.py",
    "pytake_tui/flow_draft.py",
    "pytake_tui/flow_drawing.py",
    "pytake_tui/screens/reports.py",
    "pytake_tui/screens/report_dialogs.py",
    "pytake_tui/report_view.py",
    "pytake_tui/widgets/report_charts.py",
    "pytake_tui/widgets/report_tables.py",
]
"""Modules whose every user-visible literal goes through the catalog; a converted module joins."""

# Which arguments of which calls a person reads: positions, and keyword names.
_SHOWN: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = {
    "Label": ((0,), ()),
    "Static": ((0,), ()),
    "Button": ((0,), ("label", "tooltip")),
    "TabPane": ((0,), ()),
    "Input": ((), ("placeholder",)),
    "Binding": ((2,), ("description", "tooltip")),
    "notify": ((0,), ("message", "title")),
    "add_column": ((0,), ("label",)),
    "add_columns": ((0, 1, 2, 3, 4, 5, 6, 7), ()),
    "SystemCommand": ((0, 1), ()),
    "Content": ((0,), ()),
    "styled": ((0,), ()),
    "from_markup": ((0,), ()),
    "update": ((0,), ()),
    "DaemonError": ((1, 2), ()),
    "SessionExpired": ((0,), ()),
    "LoggedOut": ((), ("warning",)),
    "report_failure": ((2,), ()),
    "Option": ((0,), ()),
}
# Words that are the same in every language: key names, product names.
_UNTRANSLATED = {"ctrl", "shift", "alt", "esc", "escape", "enter", "tab", "PyTake", "WhatsApp"}
# Markup tags, format fields, template variables, URLs and e-mail addresses (examples).
_MARKUP = re.compile(r"\[[^\]]*\]|\{[^}]*\}|\$\w+|\S+://\S+|\S+@\S+")


def _is_prose(text: str) -> bool:
    words = re.findall(r"[^\W\d_]{2,}", _MARKUP.sub(" ", text))
    return any(word not in _UNTRANSLATED for word in words)


def _literal_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    return None


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def untranslated_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each literal a person reads that no translation function wraps."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        shown = _SHOWN.get(_call_name(node) or "")
        if shown is None:
            continue
        positions, keywords = shown
        arguments = [a for i, a in enumerate(node.args) if i in positions]
        arguments += [k.value for k in node.keywords if k.arg in keywords]
        for argument in arguments:
            # A tuple is Content.assemble's (text, style): the text is what is read.
            candidates = argument.elts[:1] if isinstance(argument, ast.Tuple) else [argument]
            for candidate in candidates:
                text = _literal_text(candidate)
                if text is not None and _is_prose(text):
                    found.append((candidate.lineno, text))
    return found


@pytest.mark.parametrize("module", CONVERTED)
def test_converted_modules_show_no_untranslated_text(module: str) -> None:
    source = (ROOT / module).read_text(encoding="utf-8")
    assert untranslated_literals(source) == []


def shadowed_translation(source: str) -> list[int]:
    """Lines that bind the name ``_`` in a module that imports the translation function ``_``:
    inside that function ``_("…")`` would call the throwaway value (UnboundLocalError)."""
    tree = ast.parse(source)
    imports_it = any(
        isinstance(node, ast.ImportFrom) and any(alias.name == "_" for alias in node.names)
        for node in tree.body
    )
    if not imports_it:
        return []
    # A comprehension's loop variables live in the comprehension's own scope: harmless.
    in_comprehensions = {
        id(name)
        for node in ast.walk(tree)
        if isinstance(node, ast.comprehension)
        for name in ast.walk(node.target)
    }
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and node.id == "_"
        and isinstance(node.ctx, ast.Store)
        and id(node) not in in_comprehensions
    ]


@pytest.mark.parametrize(
    "module", sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("pytake_*/**/*.py"))
)
def test_no_module_shadows_the_translation_function(module: str) -> None:
    assert shadowed_translation((ROOT / module).read_text(encoding="utf-8")) == []


def test_the_lint_finds_what_bypasses_the_catalog() -> None:
    source = """
Binding("q", "quit", "Quit")
Static(f"Resuming on {server}")
self.notify(_("ok"), title="Login failed")
Input(placeholder="password")
Content.assemble(("Name  ", "dim"), me.name)
Static(_("Keys")); Binding("tab", "focus", show=False); Static("ctrl+n"); Static(N_("x y"))
"""
    assert [line for line, _text in untranslated_literals(source)] == [2, 3, 4, 5]
