"""``pytake ai``: evaluate the models against the shipped labelled sets, analyse a text, and read
or change a tenant's AI settings."""

from __future__ import annotations

import typing
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from pytake_cli.context import (
    EXIT_CONFIG,
    Backend,
    console,
    fail,
    handle_errors,
    perform,
    print_json,
    respond,
)
from pytake_cli.i18n import _
from pytake_cli.options import JsonOpt, TenantOpt
from pytake_daemon.protocol.ai import AiSettingsOut, AiSettingsUpdate

if TYPE_CHECKING:
    from pytake_daemon.ai.evaluation import PublicRow

app = typer.Typer(
    help="Message analysis: evaluation, a quick look at one text, per-tenant settings.",
    no_args_is_help=True,
)


@app.command("eval")
@handle_errors
def evaluate(
    split: Annotated[
        str, typer.Option(help="Part of the evaluation sets: heldout (reported), tune or all.")
    ] = "heldout",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Accuracy and macro-F1 per language and task, next to the baselines; English against
    plain VADER on a public human-rated corpus; the language of short texts."""
    from pytake_daemon.ai.analyzer import Analyzer
    from pytake_daemon.ai.datasets import Split
    from pytake_daemon.ai.evaluation import evaluate as run
    from pytake_daemon.ai.evaluation import evaluate_languages, evaluate_public_english

    try:
        part = Split(split)
    except ValueError:
        fail(
            _("--split must be one of: {join}").format(join=", ".join(s.value for s in Split)),
            code=EXIT_CONFIG,
        )
    analyzer = Analyzer()
    rows = run(analyzer.train(), analyzer.scorer, split=part)
    # The whole corpus is the measure (nothing trains on it); the part shows what no
    # decision looked at (docs/ai.md, "English on a public corpus").
    parts = [Split.ALL] if part is Split.ALL else [Split.ALL, part]
    public = [evaluate_public_english(analyzer.scorer, split=p) for p in parts]
    languages = evaluate_languages(split=part)
    if as_json:
        print_json(
            {
                "tasks": [
                    {
                        "language": r.language,
                        "task": r.task,
                        "messages": r.messages,
                        "accuracy": r.model.accuracy,
                        "macro_f1": r.model.macro_f1,
                        "baseline": r.baseline_name,
                        "baseline_accuracy": r.baseline.accuracy,
                        "baseline_macro_f1": r.baseline.macro_f1,
                    }
                    for r in rows
                ],
                "english_public": [
                    {
                        "corpus": r.corpus,
                        "part": r.part.value,
                        "messages": r.messages,
                        "pearson": r.model.pearson,
                        "agreement": r.model.agreement,
                        "baseline": r.baseline_name,
                        "baseline_pearson": r.baseline.pearson,
                        "baseline_agreement": r.baseline.agreement,
                        "only_model_right": r.only_model,
                        "only_baseline_right": r.only_baseline,
                        "agreement_deficit_upper": r.comparison.agreement_deficit_upper,
                        "agreement_p": r.comparison.agreement_p,
                        "pearson_deficit_upper": r.comparison.pearson_deficit_upper,
                        "pearson_p": r.comparison.pearson_p,
                        "not_below": r.comparison.not_below,
                    }
                    for r in public
                ],
                "language": [
                    {
                        "texts": r.texts,
                        "language": r.language,
                        "messages": r.messages,
                        "first_message": r.first_message,
                        "contact_known": r.remembered,
                        "before": r.before,
                    }
                    for r in languages
                ],
            }
        )
        return
    table = Table(
        title=_("PyTake AI evaluation ({value} part; F1 = macro-F1, ΔF1 in points)").format(
            value=part.value
        )
    )
    for column in ("lang", "task", "n", "acc", "F1", "baseline", "acc", "F1", "ΔF1"):
        table.add_column(
            column, justify="left" if column in {"lang", "task", "baseline"} else "right"
        )
    for r in rows:
        table.add_row(
            r.language,
            r.task,
            str(r.messages),
            f"{r.model.accuracy:.1%}",
            f"{r.model.macro_f1:.1%}",
            r.baseline_name,
            f"{r.baseline.accuracy:.1%}",
            f"{r.baseline.macro_f1:.1%}",
            f"{(r.model.macro_f1 - r.baseline.macro_f1) * 100:+.1f}",
        )
    console.print(table)
    english = Table(
        title=_(
            "English sentiment on a public human-rated corpus, against plain VADER (r = Pearson "
            "with the human mean, agree = 3-way agreement, only = texts whose label only that side "
            "gets right)"
        )
    )
    for column in ("corpus", "part", "n", "r", "agree", "only", "VADER r", "agree", "only"):
        english.add_column(column, justify="left" if column in {"corpus", "part"} else "right")
    for pub in public:
        english.add_row(
            pub.corpus,
            pub.part.value,
            str(pub.messages),
            f"{pub.model.pearson:.4f}",
            f"{pub.model.agreement:.2%}",
            str(pub.only_model),
            f"{pub.baseline.pearson:.4f}",
            f"{pub.baseline.agreement:.2%}",
            str(pub.only_baseline),
        )
    console.print(english)
    console.print(_not_below_table(public))
    language = Table(
        title=_(
            "Language accuracy ({value} part; the tenant's default is the other language)"
        ).format(value=part.value)
    )
    for column in ("texts", "lang", "n", "first message", "contact known", "before #23"):
        language.add_column(column, justify="left" if column in {"texts", "lang"} else "right")
    for row in languages:
        language.add_row(
            row.texts,
            row.language,
            str(row.messages),
            f"{row.first_message:.1%}",
            f"{row.remembered:.1%}",
            f"{row.before:.1%}",
        )
    console.print(language)


def _not_below_table(public: list[PublicRow]) -> Table:
    """The issue's criterion per part: how far plain VADER may be ahead (one-sided 95 % upper
    bounds, agreement in points) and the one-sided p of "ours is below" (ai/paired_tests.py)."""
    from pytake_daemon.ai.paired_tests import AGREEMENT_MARGIN, PEARSON_MARGIN

    table = Table(
        title=_(
            "Not below plain VADER? (one-sided 95 % upper bounds of VADER's lead; not below "
            "when under {points} point of agreement and {r} of r)"
        ).format(points=f"{AGREEMENT_MARGIN * 100:g}", r=f"{PEARSON_MARGIN:g}")
    )
    for column in ("part", "agree lead ≤", "p", "r lead ≤", "p", "not below"):
        table.add_column(column, justify="left" if column == "part" else "right")
    for pub in public:
        versus = pub.comparison
        table.add_row(
            pub.part.value,
            f"{versus.agreement_deficit_upper * 100:.2f}",
            f"{versus.agreement_p:.2f}",
            f"{versus.pearson_deficit_upper:.4f}",
            f"{versus.pearson_p:.2f}",
            _("yes") if versus.not_below else _("no"),
        )
    return table


@app.command("analyze")
@handle_errors
def analyze(
    text: Annotated[str, typer.Argument(help="A customer's message.")],
    language: Annotated[
        str | None, typer.Option(help="The conversation's language, for very short texts.")
    ] = None,
) -> None:
    """Language, sentiment and intent of one message (built-in intents)."""
    from pytake_daemon.ai.analyzer import Analyzer

    if not text.strip():
        fail(_("the text is empty"), code=EXIT_CONFIG)
    if language not in (None, "pt", "en"):
        fail(_("--language must be pt or en"), code=EXIT_CONFIG)
    analyzer = Analyzer()
    result = analyzer.analyse(text, model=analyzer.train(), fallback=language)
    console.print(
        _(
            "language={language} sentiment={sentiment:+.3f} ({value}) "
            "intent={intent} confidence={confidence:.2f}"
        ).format(
            language=result.language,
            sentiment=result.sentiment,
            value=result.label.value,
            intent=result.intent,
            confidence=result.confidence,
        ),
        highlight=False,
    )


def _changes(assignments: list[str]) -> dict[str, Any]:
    """``key=value`` pairs checked like the API checks them; lists are comma-separated."""
    raw: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, value = assignment.partition("=")
        key = key.strip()
        if not sep or key not in AiSettingsUpdate.model_fields:
            known = ", ".join(AiSettingsUpdate.model_fields)
            fail(
                _("--set takes key=value with a key among: {known}").format(known=known),
                code=EXIT_CONFIG,
            )
        annotation = AiSettingsOut.model_fields[key].annotation
        is_list = typing.get_origin(annotation) is list
        raw[key] = [v.strip() for v in value.split(",") if v.strip()] if is_list else value
    try:
        update = AiSettingsUpdate.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}", code=EXIT_CONFIG)
    return update.model_dump(mode="json", exclude_unset=True, exclude_none=True)


@app.command("settings")
@handle_errors
def tenant_settings(
    tenant: TenantOpt,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="Change one setting (repeatable), e.g. intent_threshold=0.5, languages=pt,en.",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a tenant's AI settings, or change some with --set (the daemon applies them to the
    next message, no restart)."""
    from pytake_daemon.ai import db
    from pytake_daemon.ai.service import tenant_settings as effective
    from pytake_daemon.audit.cli_actions import record_cli_action
    from pytake_daemon.audit.entries import difference

    changes = _changes(assignments or [])

    async def apply(backend: Backend) -> AiSettingsOut:
        async with backend.tenant(tenant) as conn:
            before = await effective(conn, backend.cfg.ai)
            if not changes:
                return before
            await db.merge_overrides(conn, changes)
            after = await effective(conn, backend.cfg.ai)
            await record_cli_action(
                conn,
                "ai.settings",
                target_type="ai_settings",
                diff=difference(before.model_dump(mode="json"), after.model_dump(mode="json")),
            )
            return after

    respond(perform(apply), as_json=as_json, show=lambda now: _show_settings(now, tenant))


def _show_settings(current: AiSettingsOut, tenant: str) -> None:
    table = Table(
        _("setting"), _("value"), title=_("AI settings of {tenant}").format(tenant=tenant)
    )
    for key, value in current.model_dump(mode="json").items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        table.add_row(key, shown)
    console.print(table)
