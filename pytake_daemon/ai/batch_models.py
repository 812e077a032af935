"""Running the models over a batch of customer messages, in a process of their own.

The sentiment lexicons and the intent model are pure Python and numpy under the GIL. Run in a
thread of the daemon, an analysis held the interpreter while the event loop had webhooks to
acknowledge and replies to send: with analysis on, ``bench/ingest.py`` acknowledged ≈ 600
webhooks/s, with it off ≈ 1,000. In a child process the models use the other core and the loop
only waits for the answer. The child is spawned (the daemon has threads; a fork could copy a
held lock), loads the analyser once, and keeps one intent model per set of custom intents.

``[ai] process = false`` keeps the models in the daemon's thread pool (the tests' apps do, so
that each of them doesn't spawn a child); both paths run :func:`analyse_pending`.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import structlog

from pytake_daemon.ai.analysis_db import LanguageContext, Pending
from pytake_daemon.ai.analyzer import Analysis, Analyzer, CustomIntentSpec, shared_analyzer
from pytake_daemon.ai.intents import IntentModel

log = structlog.get_logger("pytake.ai")

_NICENESS = 10
_PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """Everything an analysis reads, picklable: the messages, the tenant's settings that
    matter to the models, each conversation's language context and the custom intents."""

    pending: tuple[Pending, ...]
    languages: tuple[str, ...]
    default_language: str
    intent_threshold: float
    contexts: dict[uuid.UUID, LanguageContext]
    custom: tuple[CustomIntentSpec, ...]


def analyse_pending(
    analyzer: Analyzer, model: IntentModel, request: BatchRequest
) -> list[Analysis]:
    """The batch's analyses, in order; later messages of a conversation fall back to the
    language of the earlier ones."""
    contexts = request.contexts
    conversations = {c: ctx.conversation_language for c, ctx in contexts.items()}
    contacts = {ctx.contact_id: ctx.contact_language for ctx in contexts.values()}
    results = []
    for message in request.pending:
        contact = contexts[message.conversation_id].contact_id
        analysis = analyzer.analyse(
            message.text,
            model=model,
            languages=request.languages,
            fallback=conversations[message.conversation_id],
            contact_language=contacts[contact],
            default_language=request.default_language,
            intent_threshold=request.intent_threshold,
        )
        conversations[message.conversation_id] = analysis.language
        if analysis.language_reliable:
            contacts[contact] = analysis.language
        results.append(analysis)
    return results


def custom_key(custom: Sequence[CustomIntentSpec]) -> tuple[CustomIntentSpec, ...]:
    return tuple(sorted(custom, key=lambda c: c.name))


# ---- the child's side ------------------------------------------------------------------------


class _Child:
    """The child's analyser and models (module state: the pool calls plain functions)."""

    analyzer: Analyzer | None = None
    models: dict[tuple[CustomIntentSpec, ...], IntentModel] = {}


def _start_child(parent: int) -> None:
    _exit_with_parent(parent)
    # Analysis is background work: webhooks, replies and PostgreSQL come first when the cores
    # are busy (an analysis backlog waits in its jobs; a late reply is a lost customer).
    os.nice(_NICENESS)
    _Child.analyzer = shared_analyzer()


def _exit_with_parent(parent: int) -> None:
    """A daemon killed outright (SIGKILL, the OOM killer) left its pool's children waiting for
    work forever (each holds both ends of its call queue's pipe, so it never reads an end of
    file), 330 MB each: the child watches its parent and leaves with it.

    ``parent`` is the pid the daemon gave, not ``os.getppid()`` read here: a daemon stopped
    while its child was still importing (a second or two) left the child reading its new
    parent (init) and waiting for a change that never came (40 such children after a day of
    tests)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _analyse_in_child(request: BatchRequest) -> list[Analysis]:
    analyzer = _Child.analyzer
    assert analyzer is not None, "the analysis process was not initialised"
    model = _Child.models.get(request.custom)
    if model is None:
        model = _Child.models[request.custom] = analyzer.train(request.custom)
    return analyse_pending(analyzer, model, request)


# ---- the daemon's side -----------------------------------------------------------------------


class ModelProcess:
    """The child process, started at the daemon's start and again if it dies."""

    def __init__(self, workers: int) -> None:
        self._workers = workers
        self._executor = self._spawn()

    def _spawn(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_child,
            initargs=(os.getpid(),),
        )

    async def warm(self) -> None:
        """Start the child and fit the built-in model in it now, not on the first message."""
        await self.analyse(
            BatchRequest((), ("pt",), "pt", 0.0, contexts={}, custom=()),
        )

    async def analyse(self, request: BatchRequest) -> list[Analysis]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, _analyse_in_child, request)
        except BrokenProcessPool:
            # The child died (killed, out of memory): a new one for this batch and the next.
            log.warning("the AI's model process died; starting another")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._spawn()
            return await loop.run_in_executor(self._executor, _analyse_in_child, request)

    def close(self) -> None:
        """Stop the child now. Not ``shutdown(wait=True)``: that would block the event loop
        while a batch finishes in the child. And not only ``wait=False`` either: the
        interpreter's exit still joined the pool, so a daemon stopped while its child was
        importing (seconds of CPU, more under load) took 15 s and more to stop. A batch cut
        short stays in its claimed jobs, which are retried after their lease."""
        # The pool's own map of its processes (private; Python 3.14's terminate_workers() is
        # the public way, 3.11 has none), read before shutdown() lets go of it.
        children = list((self._executor._processes or {}).values())
        self._executor.shutdown(wait=False, cancel_futures=True)
        for child in children:
            if child.is_alive():
                child.terminate()


def start_model_process(workers: int) -> ModelProcess | None:
    """The model process, or None (the threads, logged) where the host can't give one: a
    process pool needs POSIX semaphores, which a locked-down sandbox may lack."""
    try:
        return ModelProcess(workers)
    except (OSError, ImportError, NotImplementedError) as exc:
        log.error("no process for the AI's models; analysing in threads", error=str(exc))
        return None
