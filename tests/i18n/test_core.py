"""pytake_i18n: language tags, the language in force, catalogs from .po or .mo, formatting."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from pytake_i18n import (
    Catalog,
    choose,
    format_date,
    format_datetime,
    format_duration,
    format_moment,
    format_number,
    format_time,
    get_language,
    negotiate,
    normalize,
    set_language,
    system_language,
    use_language,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("pt-BR", "pt_BR"),
        ("pt_BR.UTF-8", "pt_BR"),
        ("pt", "pt_BR"),
        ("PT", "pt_BR"),
        ("pt_PT@euro", "pt_BR"),
        ("en_US.UTF-8", "en"),
        ("en-GB", "en"),
        ("C", "en"),
        ("POSIX", "en"),
        ("fr_FR", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize(tag: str | None, expected: str | None) -> None:
    assert normalize(tag) == expected


def test_system_language_follows_posix_order(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert system_language() == "en"
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert system_language() == "pt_BR"
    monkeypatch.setenv("LC_MESSAGES", "en_US.UTF-8")
    assert system_language() == "en"
    monkeypatch.setenv("LC_ALL", "pt_BR.UTF-8")
    assert system_language() == "pt_BR"
    # The first one set decides, even when we lack its language (as for the C library).
    monkeypatch.setenv("LC_ALL", "de_DE.UTF-8")
    assert system_language() == "en"


def test_choose_takes_the_first_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "pt_BR.UTF-8")
    assert choose(None, "xx", "en-US", "pt") == "en"
    assert choose(None, "") == "pt_BR"
    assert choose() == "pt_BR"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("pt-BR", "pt_BR"),
        ("fr, pt-BR;q=0.9, en;q=0.8", "pt_BR"),
        ("en;q=0.2, pt;q=0.5", "pt_BR"),
        ("pt;q=0, en;q=0.1", "en"),
        ("pt;q=0", "en"),
        ("de, *;q=0.5", "en"),
        ("fr, de", "en"),
        ("en;q=bogus, pt", "pt_BR"),
    ],
)
def test_negotiate_honours_weights(header: str | None, expected: str) -> None:
    assert negotiate(header, "en") == expected


def test_negotiate_falls_back_to_the_given_default() -> None:
    assert negotiate("fr", "pt_BR") == "pt_BR"


async def test_use_language_is_per_context_over_the_process_default() -> None:
    set_language("pt_BR")
    try:
        seen: dict[str, str] = {}

        async def request(name: str, language: str) -> None:
            with use_language(language):
                await asyncio.sleep(0)  # another task runs in between with its own language
                seen[name] = get_language()

        await asyncio.gather(request("a", "en"), request("b", "pt_BR"), request("c", "en"))
        assert seen == {"a": "en", "b": "pt_BR", "c": "en"}
        assert get_language() == "pt_BR"

        # A task started before the default changes sees the change (the console's workers).
        changed = asyncio.Event()

        async def worker() -> str:
            await changed.wait()
            return get_language()

        task = asyncio.create_task(worker())
        set_language("en")
        changed.set()
        assert await task == "en"
    finally:
        set_language("en")


def test_set_language_refuses_unknown() -> None:
    with pytest.raises(ValueError, match="unknown language"):
        set_language("fr")


def _write_catalog(localedir: Path, language: str, translations: dict[str, str]) -> Path:
    catalog = BabelCatalog(locale=language, domain="demo")
    for msgid, msgstr in translations.items():
        catalog.add(msgid, msgstr)
    catalog.add(
        ("{n} conversation", "{n} conversations"),
        ("{n} conversa", "{n} conversas", "{n} conversas"),
    )
    catalog.add("Open", "Aberta (status)", context="status")
    path = localedir / language / "LC_MESSAGES" / "demo.po"
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return path


def test_catalog_compiles_the_po_in_memory(tmp_path: Path) -> None:
    _write_catalog(tmp_path, "pt_BR", {"Queue": "Fila", "Open": "Abrir"})
    catalog = Catalog("demo", tmp_path)
    assert catalog.gettext("Queue", language="pt_BR") == "Fila"
    assert catalog.gettext("Queue", language="en") == "Queue"  # no en catalog: the source text
    assert catalog.gettext("Missing", language="pt_BR") == "Missing"
    # Portuguese uses the singular for 0 and 1 (plural=(n > 1)); English only for 1.
    forms = [
        catalog.ngettext("{n} conversation", "{n} conversations", n, language="pt_BR")
        for n in (0, 1, 2)
    ]
    # CLDR gives Portuguese three forms (one, many for whole millions, other).
    assert forms == ["{n} conversa", "{n} conversa", "{n} conversas"]
    assert catalog.ngettext("{n} conversation", "{n} conversations", 0, language="en") == (
        "{n} conversations"
    )
    assert catalog.pgettext("status", "Open", language="pt_BR") == "Aberta (status)"
    assert catalog.gettext("Open", language="pt_BR") == "Abrir"
    with use_language("pt_BR"):
        assert catalog.gettext("Queue") == "Fila"
    assert catalog.gettext("Queue") == "Queue"


def test_catalog_prefers_a_current_mo_and_ignores_a_stale_one(tmp_path: Path) -> None:
    po = _write_catalog(tmp_path, "pt_BR", {"Queue": "Fila"})
    mo = po.with_suffix(".mo")
    compiled = BabelCatalog(locale="pt_BR", domain="demo")
    compiled.add("Queue", "Fila (compilada)")
    with mo.open("wb") as handle:
        write_mo(handle, compiled)
    later = datetime.now(UTC).timestamp() + 60
    os.utime(mo, (later, later))
    assert Catalog("demo", tmp_path).gettext("Queue", language="pt_BR") == "Fila (compilada)"
    # An edited .po (newer than the .mo) wins: no stale build hides a fix.
    os.utime(po, (later + 60, later + 60))
    assert Catalog("demo", tmp_path).gettext("Queue", language="pt_BR") == "Fila"


def test_catalog_caches_per_language_until_reload(tmp_path: Path) -> None:
    po = _write_catalog(tmp_path, "pt_BR", {"Queue": "Fila"})
    catalog = Catalog("demo", tmp_path)
    assert catalog.gettext("Queue", language="pt_BR") == "Fila"
    po.write_text(po.read_text(encoding="utf-8").replace('"Fila"', '"Fila nova"'), "utf-8")
    assert catalog.gettext("Queue", language="pt_BR") == "Fila"
    catalog.reload()
    assert catalog.gettext("Queue", language="pt_BR") == "Fila nova"


def test_formatting_per_language() -> None:
    moment = datetime(2026, 12, 5, 18, 45, tzinfo=UTC)
    sao_paulo = timezone(timedelta(hours=-3))
    assert format_datetime(moment, sao_paulo, language="pt_BR") == "05/12/2026 15:45"
    assert format_datetime(moment, sao_paulo, language="en") == "12/5/26, 3:45\u202fPM"
    assert format_time(moment, sao_paulo, language="pt_BR") == "15:45"
    assert format_date(moment, language="pt_BR") == "05/12/2026"
    assert format_moment(moment, sao_paulo, language="pt_BR") == "05/12/2026 15:45"
    assert format_moment(moment, sao_paulo, language="en") == "12/5/2026 15:45"
    assert format_number(1234.5, language="pt_BR") == "1.234,5"
    assert format_number(1234.5, language="en") == "1,234.5"
    assert format_duration(300, language="pt_BR") == "5 min"
    assert format_duration(300, language="en") == "5 min"
    assert format_duration(7200, language="pt_BR") == "2 h"
    with use_language("pt_BR"):
        assert format_number(0.5) == "0,5"
