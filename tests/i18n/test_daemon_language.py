"""The daemon's sentences in Portuguese and English: every raised sentence in both catalogs (the
generic guard sees only ``_()`` calls; these are extracted by ``pytake_daemon.i18n_extract``),
recognised by shape when said again, Meta's explanations, the rating question, and whose
language a customer is written in (against the real PostgreSQL)."""

from __future__ import annotations

import ast
import string
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pytake_daemon.ai.customer_language import customer_language
from pytake_daemon.attendance import satisfaction
from pytake_daemon.db.pool import Connection, set_tenant
from pytake_daemon.i18n import _, say_error, translate
from pytake_daemon.i18n_extract import raised_sentences
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.whatsapp.meta_errors import GraphError, explain, explanation_in
from pytake_i18n import LANGUAGES, use_language
from tests.conftest import ApiClient, MakeTenant
from tests.queues.support import conversations

ROOT = Path(__file__).resolve().parents[2]


def _sentences() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "pytake_daemon").rglob("*.py"):
        found |= {m for _line, m in raised_sentences(ast.parse(path.read_text(encoding="utf-8")))}
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_raised_sentence_is_translated(language: str) -> None:
    po = ROOT / "pytake_daemon" / "locale" / language / "LC_MESSAGES" / "pytake_daemon.po"
    with po.open("rb") as handle:
        catalog = {m.id: m for m in read_po(handle) if isinstance(m.id, str) and m.id}
    sentences = _sentences()
    assert len(sentences) > 150
    missing = sorted(s for s in sentences if s not in catalog)
    assert not missing, "run scripts/i18n.sh update pytake_daemon and translate:\n" + "\n".join(
        missing
    )
    for sentence in sentences:
        assert catalog[sentence].string, sentence
        assert not catalog[sentence].fuzzy, sentence


def test_sentences_are_recognised_by_shape() -> None:
    # Raised as f-strings long ago: the English text is all that reaches the renderer.
    assert translate("no tenant 'acme' (see 'pytake tenant list')", "pt_BR") == (
        "não há tenant 'acme' (veja 'pytake tenant list')"
    )
    assert translate("this token lacks the admin scope", "pt_BR") == (
        "falta a este token o escopo admin"
    )
    assert translate("12 invalid field(s)", "pt_BR") == "12 campo(s) inválido(s)"
    # A shape that is nothing but fields ("{value}: {exc}") claims no sentence.
    assert translate("anything: at all", "pt_BR") == "anything: at all"
    # Nothing stays nothing (gettext("") would be the catalog's header).
    assert translate("", "pt_BR") == ""
    assert translate(None, "pt_BR") is None
    # English is the source: said as written.
    assert translate("no such queue", "en") == "no such queue"
    # A marked sentence needs no recognising; str() stays English for the logs.
    sentence = _("queue {value!r} is inactive", value="Vendas")
    assert str(sentence) == "queue 'Vendas' is inactive"
    assert translate(sentence, "pt_BR") == "a fila 'Vendas' está inativa"


def test_an_error_is_said_in_the_language_in_force() -> None:
    error = GraphError("(#131047) Re-engagement message", http_status=400, code=131047)
    with use_language("pt_BR"):
        assert error.explanation.startswith("Passaram-se mais de 24 horas")
        assert say_error(NotImplementedError("x")) == "x"
    assert error.explanation.startswith("More than 24 hours have passed")


def test_meta_explanations_in_both_languages() -> None:
    with use_language("pt_BR"):
        assert explain(131009, "Parameter value is not valid") == (
            "Um valor desta mensagem não é válido. A Meta diz: Parameter value is not valid."
        )
        assert explain(999999, message="odd") == "O WhatsApp recusou a mensagem (erro 999999): odd."
        assert explain(None) == "Não foi possível falar com o WhatsApp; a mensagem será reenviada."
    # The sender and the webhook's ingest have no reader: they store English, said again on read.
    stored = explain(131009, "Parameter value is not valid")
    assert (
        stored == "A value in this message is not valid. Meta says: Parameter value is not valid."
    )
    assert explanation_in(stored, "pt_BR") == (
        "Um valor desta mensagem não é válido. A Meta diz: Parameter value is not valid."
    )
    assert explanation_in(explain(190), "pt_BR").startswith("O token de acesso do WhatsApp")
    assert explanation_in("Meta's own words.", "pt_BR") == "Meta's own words."


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_rating_question_fits_whatsapp_in_both(language: str) -> None:
    buttons = satisfaction.buttons(uuid.uuid4(), language)
    titles = [b.title for b in buttons.buttons]
    assert all(1 <= len(t) <= 20 for t in titles), titles
    expected = {
        "en": ("How would you rate this conversation?", ["Great", "OK", "Bad"]),
        "pt_BR": ("Como você avalia este atendimento?", ["Ótimo", "Regular", "Ruim"]),
    }
    assert (buttons.body, titles) == expected[language]


async def test_a_customers_language_falls_back_to_the_tenants_then_english(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    remembered, unknown = await conversations(admin_conn, tenant.id, api.app[SECRET_BOX], 2)
    async with admin_conn.transaction():
        await set_tenant(admin_conn, tenant.id)
        await admin_conn.execute(
            "INSERT INTO ai_contact_language (tenant_id, contact_id, language)"
            " SELECT tenant_id, contact_id, 'pt' FROM conversations WHERE id = $1",
            remembered,
        )
        # A tenant that never saved its profile: English, as before translations.
        assert await customer_language(admin_conn, unknown) == "en"
        assert await customer_language(admin_conn, remembered) == "pt_BR"
        await admin_conn.execute(
            "INSERT INTO tenant_profiles (tenant_id, business_name, segment, timezone, language)"
            " VALUES ($1, 'Bakery', 'restaurant', 'UTC', 'pt_BR')",
            tenant.id,
        )
        assert await customer_language(admin_conn, unknown) == "pt_BR"


def _fields(text: str) -> list[str]:
    return sorted(name for _t, name, _s, _c in string.Formatter().parse(text) if name is not None)


@pytest.mark.parametrize("package", ["pytake_cli", "pytake_daemon"])
def test_translations_keep_their_fields(package: str) -> None:
    # A translation that drops or renames a field fails at .format() (or, for a sentence
    # recognised by shape, can't be filled): each must name exactly its msgid's fields.
    po = ROOT / package / "locale" / "pt_BR" / "LC_MESSAGES" / f"{package}.po"
    with po.open("rb") as handle:
        pairs = [
            (m.id, m.string)
            for m in read_po(handle)
            if isinstance(m.id, str) and m.id and isinstance(m.string, str)
        ]
    assert pairs
    wrong = [i for i, s in pairs if "{" in i and _fields(i) != _fields(s)]
    assert wrong == []
