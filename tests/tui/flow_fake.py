"""A fake daemon for the flow editor: flows kept in memory, checked and tested by the daemon's
own code (validation and the flow-test runner), every call recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from pytake_daemon.flows.testing import run_script
from pytake_daemon.flows.validation import check_definition, check_document
from pytake_daemon.protocol import Me, Role
from pytake_daemon.protocol.flows import (
    FlowDefinition,
    FlowDocument,
    FlowList,
    FlowOut,
    FlowStatus,
    FlowSummary,
    FlowTestRequest,
    FlowTestResult,
    FlowUpdate,
    FlowValidation,
)
from pytake_tui import PyTakeApp, build_app
from pytake_tui.client import DaemonClient, DaemonError
from pytake_tui.credentials import CredentialStore, SavedSession

from .fake_daemon import ScriptedClient, alice, hello_envelope
from .identities import ALICE_EMAIL, FAR_FUTURE, FIXED_AT

SERVER = "http://pytake.invalid:8420"
SEGMENTS = Path(__file__).resolve().parents[2] / "flows" / "segments"


@dataclass
class StoredFlow:
    id: uuid.UUID
    name: str
    description: str
    versions: list[FlowDefinition]
    published: int | None = None
    archived: bool = False

    def summary(self) -> dict[str, Any]:
        if self.archived:
            status = FlowStatus.ARCHIVED
        elif self.published is not None:
            status = FlowStatus.PUBLISHED
        else:
            status = FlowStatus.DRAFT
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "status": status,
            "latest_version": len(self.versions),
            "published_version": self.published,
            "created_at": FIXED_AT,
            "updated_at": FIXED_AT + timedelta(minutes=len(self.versions)),
        }

    def out(self, version: int | None = None) -> FlowOut:
        chosen = version or len(self.versions)
        return FlowOut(**self.summary(), version=chosen, definition=self.versions[chosen - 1])


@dataclass
class FlowWorld:
    flows: list[StoredFlow] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    """``METHOD path`` of every call, in order."""
    tests: list[FlowTestRequest] = field(default_factory=list)

    def add(self, document: FlowDocument, published: int | None = None) -> StoredFlow:
        flow = StoredFlow(
            uuid.UUID(int=len(self.flows) + 1),
            document.name,
            document.description,
            [document.definition],
            published,
        )
        self.flows.append(flow)
        return flow

    def find(self, flow_id: uuid.UUID) -> StoredFlow:
        for flow in self.flows:
            if flow.id == flow_id:
                return flow
        raise DaemonError(404, "Not Found", "no such flow")


def segment(name: str) -> FlowDocument:
    return FlowDocument.model_validate(yaml.safe_load((SEGMENTS / f"{name}.yaml").read_text()))


def admin() -> Me:
    return alice().model_copy(update={"role": Role.ADMIN})


class FlowClient(ScriptedClient):
    """ScriptedClient plus the ``/flows`` API on a :class:`FlowWorld`."""

    def __init__(self, server: str, flows: FlowWorld, me: Me | None = None) -> None:
        super().__init__(server, [hello_envelope(1)], me=me or admin())
        self.flow_world = flows

    def _call(self, what: str) -> None:
        self.flow_world.calls.append(what)

    def _admin_only(self) -> None:
        if not self._me.role.at_least(Role.ADMIN):
            raise DaemonError(403, "Forbidden", "needs the admin role")

    async def flows(self) -> FlowList:
        self._call("GET /flows")
        return FlowList(items=[FlowSummary(**f.summary()) for f in self.flow_world.flows])

    async def flow(self, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
        self._call(f"GET /flows/{flow_id}")
        return self.flow_world.find(flow_id).out(version)

    async def validate_flow(self, document: FlowDocument) -> FlowValidation:
        self._call("POST /flows/validate")
        _, problems = check_document(document.model_dump(mode="json", exclude_none=True))
        return FlowValidation(valid=not problems, problems=problems)

    async def create_flow(self, document: FlowDocument) -> FlowOut:
        self._call("POST /flows")
        self._admin_only()
        assert not check_definition(document.definition)
        return self.flow_world.add(document).out()

    async def update_flow(self, flow_id: uuid.UUID, update: FlowUpdate) -> FlowOut:
        self._call(f"PUT /flows/{flow_id}")
        self._admin_only()
        flow = self.flow_world.find(flow_id)
        flow.versions.append(update.definition)
        return flow.out()

    async def publish_flow(self, flow_id: uuid.UUID, version: int | None = None) -> FlowOut:
        self._call(f"POST /flows/{flow_id}/publish")
        self._admin_only()
        flow = self.flow_world.find(flow_id)
        flow.published = version or len(flow.versions)
        return flow.out()

    async def archive_flow(self, flow_id: uuid.UUID) -> FlowOut:
        self._call(f"POST /flows/{flow_id}/archive")
        self._admin_only()
        flow = self.flow_world.find(flow_id)
        flow.archived = True
        return flow.out()

    async def test_flow(self, flow_id: uuid.UUID, request: FlowTestRequest) -> FlowTestResult:
        self._call(f"POST /flows/{flow_id}/test")
        self.flow_world.tests.append(request)
        flow = self.flow_world.find(flow_id)
        definition = flow.versions[(request.version or len(flow.versions)) - 1]
        return await run_script(definition, request.script, now=FIXED_AT)


def flow_app(tmp: Path, flows: FlowWorld, me: Me | None = None) -> PyTakeApp:
    """An app resumed from a saved session whose daemon is ``flows``."""
    credentials = tmp / "config" / "credentials.json"
    CredentialStore(credentials).save(
        SavedSession(server=SERVER, token="saved", expires_at=FAR_FUTURE, email=ALICE_EMAIL)
    )

    def client(server: str) -> DaemonClient:
        return FlowClient(server, flows, me)

    return build_app(
        server=SERVER,
        credentials_path=credentials,
        client_factory=client,
        clock=lambda: FIXED_AT,
        downloads_dir=tmp / "downloads",
    )
