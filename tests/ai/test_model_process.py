"""The batch analysis in a process of its own (``[ai] process``, the daemon's default): the same
answers as in the daemon's threads, custom intents trained in the child, and a child that dies
replaced by the next batch. Real spawned processes, no doubles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytake_daemon.ai import batch_models
from pytake_daemon.ai.analysis_db import LanguageContext, Pending
from pytake_daemon.ai.analyzer import CustomIntentSpec, shared_analyzer
from pytake_daemon.ai.batch_models import (
    BatchRequest,
    ModelProcess,
    analyse_pending,
    start_model_process,
)

AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
WARRANTY = CustomIntentSpec(
    name="warranty",
    examples=("quero acionar a garantia", "my warranty claim", "garantia do produto"),
    keywords=("garantia",),
)


def batch(texts: list[str], custom: tuple[CustomIntentSpec, ...] = ()) -> BatchRequest:
    conversation, contact = uuid.uuid4(), uuid.uuid4()
    pending = tuple(Pending(uuid.uuid4(), conversation, text, AT) for text in texts)
    return BatchRequest(
        pending,
        ("pt", "en"),
        "pt",
        0.3,
        {conversation: LanguageContext(contact, None, None)},
        custom,
    )


# On one xdist worker (scripts/test.sh runs --dist loadgroup), so the child below starts once.
pytestmark = pytest.mark.xdist_group("model_process")


@pytest.fixture(scope="module")
def process() -> Iterator[ModelProcess]:
    """One child for the module's tests (its start imports and fits the models: seconds of CPU,
    a minute on a loaded machine). The pool is not tied to an event loop, so each test analyses
    on its own; the test that kills the child leaves the pool to replace it, as it must."""
    child = ModelProcess(workers=1)
    try:
        asyncio.run(child.warm())
        yield child
    finally:
        child.close()


TEXTS = [
    "Oi, bom dia! Quero saber do meu pedido",
    "O atendimento foi péssimo, quero cancelar",
    "ok",
    "Thanks a lot, that was really helpful!",
    "I want to talk to a human now",
]


async def test_the_child_answers_as_the_threads_do(process: ModelProcess) -> None:
    request = batch(TEXTS)
    analyzer = shared_analyzer()
    expected = analyse_pending(analyzer, analyzer.train(()), request)
    assert await process.analyse(request) == expected
    # Short "ok" took the conversation's language from the message before it.
    assert [a.language for a in expected[:3]] == ["pt", "pt", "pt"]


async def test_custom_intents_are_trained_in_the_child(process: ModelProcess) -> None:
    [plain] = await process.analyse(batch(["quero acionar a garantia do produto"]))
    [custom] = await process.analyse(batch(["quero acionar a garantia do produto"], (WARRANTY,)))
    assert plain.intent != "warranty"
    assert custom.intent == "warranty"


async def test_a_child_that_dies_is_replaced_by_the_next_batch(process: ModelProcess) -> None:
    # The child exits as if killed (it runs os._exit): the pool is broken.
    with pytest.raises(BrokenProcessPool):
        await asyncio.wrap_future(process._executor.submit(os._exit, 1))
    request = batch(TEXTS[:2])
    analyzer = shared_analyzer()
    assert await process.analyse(request) == analyse_pending(analyzer, analyzer.train(()), request)


def test_a_host_without_semaphores_analyses_in_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        # What a process pool raises where /dev/shm is missing (fault injected by the test).
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(batch_models, "ProcessPoolExecutor", refuse)
    assert start_model_process(1) is None


_PARENT = """
import asyncio, multiprocessing, sys
from pytake_daemon.ai.batch_models import ModelProcess

async def main() -> None:
    child = ModelProcess(workers=1)
    await child.warm()
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    await asyncio.sleep(3600)  # killed by the test long before

asyncio.run(main())
"""


async def test_the_child_leaves_with_a_parent_killed_outright(repo_root: Path) -> None:
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PARENT, cwd=repo_root, stdout=asyncio.subprocess.PIPE
    )
    assert parent.stdout is not None
    line = await asyncio.wait_for(parent.stdout.readline(), 60)
    children = [int(pid) for pid in line.split()]
    assert children, "the parent started no model process"
    parent.kill()  # SIGKILL: no shutdown, no atexit
    await parent.wait()
    deadline = asyncio.get_running_loop().time() + 15
    while any(_alive(pid) for pid in children):
        assert asyncio.get_running_loop().time() < deadline, "the model process outlived it"
        await asyncio.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # Reparented to the test's session: a zombie nobody reaps is gone as far as work goes.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(") ")[-1].split()[0] != "Z"


_STOPPED_WHILE_ITS_CHILD_STARTS = """
import asyncio, multiprocessing, time
from concurrent.futures import ProcessPoolExecutor
from pytake_daemon.ai.batch_models import ModelProcess

class StuckInStart(ModelProcess):
    # A child whose start never ends (importing the models takes seconds; here, forever).
    def _spawn(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=time.sleep,
            initargs=(3600,),
        )

async def main() -> None:
    child = StuckInStart(workers=1)
    asyncio.get_running_loop().run_in_executor(child._executor, abs, 1)  # spawns the child
    while not multiprocessing.active_children():
        await asyncio.sleep(0.01)
    print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
    child.close()

asyncio.run(main())
"""


async def test_a_daemon_stopped_while_its_child_starts_does_not_wait_for_it(
    repo_root: Path,
) -> None:
    """close() ends the child: the interpreter's exit joined the pool, so a daemon stopped
    while its child was still importing waited for that (15 s and more under load)."""
    parent = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _STOPPED_WHILE_ITS_CHILD_STARTS,
        cwd=repo_root,
        stdout=asyncio.subprocess.PIPE,
    )
    assert parent.stdout is not None
    line = await asyncio.wait_for(parent.stdout.readline(), 60)
    children = [int(pid) for pid in line.split()]
    assert children, "the parent started no model process"
    try:
        # The child would sleep for an hour: the parent exits only because close() ended it.
        assert await asyncio.wait_for(parent.wait(), 60) == 0
        assert not any(_alive(pid) for pid in children)
    finally:
        for pid in [parent.pid, *children]:  # a failed run leaves nothing behind
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


_ORPHANED_BEFORE_IT_STARTED = """
import os, time
from pytake_daemon.ai.batch_models import _exit_with_parent

# The daemon that spawned this child is gone before the child's initializer runs (it was
# still importing): the pid it was given is no longer its parent.
_exit_with_parent(os.getppid() + 1_000_000)
time.sleep(60)
raise SystemExit(3)
"""


async def test_a_child_whose_parent_died_while_it_started_leaves_too(repo_root: Path) -> None:
    """The watch compares with the pid the daemon gave, not the parent the child finds when it
    starts (init, once orphaned): 40 children were left after a day of tests that way."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _ORPHANED_BEFORE_IT_STARTED, cwd=repo_root
    )
    assert await asyncio.wait_for(child.wait(), 30) == 0
