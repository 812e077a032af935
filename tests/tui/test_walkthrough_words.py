"""Words found in English in the issue 22 walkthrough (`LANG=pt_BR.UTF-8 pytake demo`), now in
the console's language: the activity log's event column, the backups screen's detail lines,
the flows list's column titles, Textual's own palette entries and search field, and the demo
banner's roles."""

from __future__ import annotations

from datetime import UTC, datetime

from pytake_cli.i18n import role_word
from pytake_daemon.protocol import Role
from pytake_daemon.protocol.backups import BackupHealth
from pytake_i18n import use_language
from pytake_tui import backup_view
from pytake_tui.i18n import _
from pytake_tui.key_guide import TEXTUAL_WORDS
from pytake_tui.vocabulary import event_kind, token_name

AT = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def _health(**fields: object) -> BackupHealth:
    base: dict[str, object] = {
        "schedule_enabled": True, "backup_cron": "daily", "last_success_at": None,
        "last_success_age_seconds": None, "last_success_size_bytes": None,
        "last_duration_seconds": None, "recent_sizes": [], "recent_durations": [],
        "failures_since_success": 0, "last_failure_at": None, "last_failure_reason": None,
        "overdue": False, "next_due_at": None, "last_drill_at": None,
        "last_drill_status": None, "last_drill_detail": None,
    }  # fmt: skip
    return BackupHealth.model_validate({**base, **fields})


def test_the_activity_logs_event_column() -> None:
    with use_language("pt_BR"):
        kinds = [event_kind(k) for k in ("hello", "message_received", "message_status_updated")]
        assert kinds == ["conectado", "recebida", "entrega"]
        assert event_kind("typing") == "typing"  # a type the log does not describe
    with use_language("en"):
        assert event_kind("token_revoked") == "access"


def test_the_backups_detail_lines() -> None:
    quiet = _health()
    drilled = _health(
        schedule_enabled=False, last_failure_at=AT, last_failure_reason="disk full",
        last_drill_at=AT, last_drill_status="succeeded", last_drill_detail="3 tables",
    )  # fmt: skip
    with use_language("pt_BR"):
        assert backup_view.failure_line(quiet) == "nenhuma falha registrada"
        assert backup_view.schedule_line(quiet) == "agendamento diário"
        assert backup_view.drill_line(quiet).startswith("teste de restauração: nenhum ainda")
        assert backup_view.failure_line(drilled).startswith("última falha ")
        assert backup_view.schedule_line(drilled).startswith("agendamento desligado")
        assert backup_view.drill_line(drilled).startswith("teste de restauração concluído ")
        assert backup_view.drill_line(drilled).endswith(" — 3 tables")
    with use_language("en"):
        assert backup_view.drill_line(drilled).startswith("drill succeeded ")


def test_textuals_palette_words_are_in_the_catalog() -> None:
    with use_language("pt_BR"):
        said = {word: _(word) for word in (*TEXTUAL_WORDS, "Search for commands…")}
    untranslated = [word for word, text in said.items() if text == word]
    assert untranslated == []
    assert said["Screenshot"] == "Captura de tela"


def test_the_demo_banners_roles() -> None:
    with use_language("pt_BR"):
        said = [role_word(r) for r in Role]
    assert said == ["proprietário", "administrador", "supervisor", "atendente"]


def test_a_sessions_name_and_the_forms_title() -> None:
    with use_language("pt_BR"):
        assert token_name("login from 127.0.0.1") == "login de 127.0.0.1"
        assert token_name("invitation accepted from ::1") == "convite aceito de ::1"
        assert token_name("ci deploy") == "ci deploy"  # an API token's name, as its author wrote
        assert _("Check the form") == "Confira o formulário"


def test_the_system_pages_figures_use_the_readers_decimal_mark() -> None:
    from pytake_tui.system_view import seconds_text, size_text

    with use_language("pt_BR"):
        assert (seconds_text(4.25), size_text(3.3 * 1024**3)) == ("4,2 s", "3,3 GiB")
    with use_language("en"):
        assert (seconds_text(4.25), size_text(3.3 * 1024**3)) == ("4.2 s", "3.3 GiB")
