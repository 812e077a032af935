"""The ready-made segment flows (``flows/segments``: F6), each with its scripted test.

The files sit at the repository's root beside ``migrations/`` (a wheel carries them as
``pytake_daemon/_segments``, as it carries the migrations), so ``pytake flow import`` of a file
and the wizard's automation step publish the same document.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from pytake_daemon.flows.validation import check_document
from pytake_daemon.protocol.flow_nodes import ActionTransferToQueue
from pytake_daemon.protocol.flows import FlowDocument, FlowTestScript
from pytake_daemon.protocol.onboarding import SegmentFlow


@dataclass(frozen=True)
class SegmentFiles:
    segment: str
    document: FlowDocument
    script: FlowTestScript

    def summary(self) -> SegmentFlow:
        queues: list[str] = []
        for node in self.document.definition.nodes:
            if isinstance(node, ActionTransferToQueue) and node.queueName not in queues:
                queues.append(node.queueName)
        return SegmentFlow(
            segment=self.segment,
            name=self.document.name,
            description=self.document.description,
            queues=queues,
        )


def segments_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for candidate in (here.parent / "flows" / "segments", here / "_segments"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the segment flows (flows/segments) are not installed")


@cache
def segment_flows() -> dict[str, SegmentFiles]:
    """Every shipped segment flow by segment (file name), read and validated once."""
    found: dict[str, SegmentFiles] = {}
    for path in sorted(segments_dir().glob("*.yaml")):
        if path.name.endswith(".test.yaml"):
            continue
        document, problems = check_document(yaml.safe_load(path.read_text(encoding="utf-8")))
        if document is None or problems:  # the suite proves they are valid; never half-load
            raise ValueError(f"{path.name}: {'; '.join(str(p) for p in problems)}")
        script_path = path.with_suffix(".test.yaml")
        script = FlowTestScript.model_validate(
            yaml.safe_load(script_path.read_text(encoding="utf-8"))
        )
        found[path.stem] = SegmentFiles(path.stem, document, script)
    return found
