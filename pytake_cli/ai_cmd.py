"""``pytake ai``: evaluate the models against the shipped labelled sets, analyse a text."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from pytake_cli.context import EXIT_CONFIG, console, fail, handle_errors, print_json

app = typer.Typer(
    help="Message analysis: evaluation and a quick look at one text.", no_args_is_help=True
)


@app.command("eval")
@handle_errors
def evaluate(
    split: Annotated[
        str, typer.Option(help="Part of the evaluation sets: heldout (reported), tune or all.")
    ] = "heldout",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Accuracy and macro-F1 per language and task, next to the baselines."""
    from pytake_daemon.ai.analyzer import Analyzer
    from pytake_daemon.ai.datasets import Split
    from pytake_daemon.ai.evaluation import evaluate as run

    try:
        part = Split(split)
    except ValueError:
        fail(f"--split must be one of: {', '.join(s.value for s in Split)}", code=EXIT_CONFIG)
    analyzer = Analyzer()
    rows = run(analyzer.train(), analyzer.scorer, split=part)
    if as_json:
        print_json(
            [
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
            ]
        )
        return
    table = Table(title=f"PyTake AI evaluation ({part.value} part; F1 = macro-F1, ΔF1 in points)")
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
        fail("the text is empty", code=EXIT_CONFIG)
    if language not in (None, "pt", "en"):
        fail("--language must be pt or en", code=EXIT_CONFIG)
    analyzer = Analyzer()
    result = analyzer.analyse(text, model=analyzer.train(), fallback=language)
    console.print(
        f"language={result.language} sentiment={result.sentiment:+.3f} ({result.label.value}) "
        f"intent={result.intent} confidence={result.confidence:.2f}",
        highlight=False,
    )
