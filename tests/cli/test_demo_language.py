"""The demo's workspace is named in the demo's language (issue 22): Portuguese queues, shop and
flow description when ``pytake demo`` runs in pt_BR (``--lang pt_BR``, ``PYTAKE_LANG`` or the
system locale), English otherwise; a later run in another language keeps what the first made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytake_cli.demo_content import ENGLISH, PORTUGUESE, demo_flow, queues, words_for
from pytake_cli.demo_onboarding import shop_profile
from pytake_cli.demo_seed import seeded_words
from pytake_cli.i18n import resolve_language
from pytake_i18n import get_language, set_language


@pytest.fixture
def restored_language() -> Iterator[None]:
    before = get_language()
    yield
    set_language(before)


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        ([], {"LANG": "pt_BR.UTF-8"}, PORTUGUESE),
        (["demo", "--lang", "pt_BR"], {"LANG": "C.UTF-8"}, PORTUGUESE),
        ([], {"PYTAKE_LANG": "pt", "LANG": "en_US.UTF-8"}, PORTUGUESE),
        ([], {"LANG": "en_US.UTF-8"}, ENGLISH),
        (["demo", "--lang", "en"], {"LANG": "pt_BR.UTF-8"}, ENGLISH),
        ([], {"LANG": "fr_FR.UTF-8"}, ENGLISH),
    ],
)
@pytest.mark.usefixtures("restored_language")
def test_the_demo_is_named_in_the_language_the_cli_speaks(
    argv: list[str], environ: dict[str, str], expected: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "PYTAKE_LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)  # the system locale is read from the process's own
    set_language(resolve_language(argv, environ))  # as ``pytake_cli.main.run`` does
    assert words_for() is expected


def test_the_portuguese_workspace() -> None:
    assert [q.name for q in queues(PORTUGUESE)] == ["Vendas", "Suporte"]
    assert [q.description for q in queues(PORTUGUESE)] == [
        "Orçamentos e pedidos novos.",
        "Entregas, trocas, cobranças.",
    ]
    flow = demo_flow(PORTUGUESE)
    transfers = {
        n.id: n.model_dump()["queueName"]
        for n in flow.definition.nodes
        if n.type == "action_transfer_to_queue"
    }
    assert transfers == {"to_sales": "Vendas", "to_support": "Suporte", "to_urgent": "Suporte"}
    assert flow.description.startswith("Demo pronta")
    profile = shop_profile(PORTUGUESE)
    assert (profile.business_name, profile.language) == ("Loja Demo", "pt_BR")
    assert (PORTUGUESE.owner_name, ENGLISH.owner_name) == ("Dono da Loja Demo", "Demo Owner")
    assert (shop_profile(ENGLISH).business_name, shop_profile(ENGLISH).language) == (
        "Demo Shop",
        "en",
    )


def test_a_later_run_keeps_the_first_runs_names() -> None:
    assert seeded_words({"Sales", "Support", "VIP"}, "pt_BR") is ENGLISH
    assert seeded_words({"Vendas", "Suporte"}, "en") is PORTUGUESE
    assert seeded_words(set(), "pt_BR") is PORTUGUESE
    assert seeded_words({"Sales"}, "en") is ENGLISH  # a half-made workspace: the run's own
