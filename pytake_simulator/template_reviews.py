"""Template management on Meta's side: creation (validated like Meta), review after a delay,
status changes with their ``message_template_status_update`` webhooks, and deletion."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from pytake_simulator import errors, ids
from pytake_simulator.batching import PendingItem
from pytake_simulator.config import first_error
from pytake_simulator.state import TemplateRecord
from pytake_simulator.templates import (
    TemplateCreateRequest,
    TemplateDefinition,
    TemplateStatus,
    definition_problems,
)
from pytake_simulator.wire import TemplateStatusValue
from pytake_simulator.wire_graph import TemplateCreateResponse

if TYPE_CHECKING:
    from pytake_simulator.simulator import Simulator


DELETED_NAME_BLOCKED = 28 * 86_400.0
"""How long Meta refuses new content in a deleted template's name and language ("4 weeks")."""


class TemplateReviews:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def create(self, waba_id: str, body: Any) -> TemplateCreateResponse:
        violation = self.sim.contract.first_violation("create_template", body)
        if violation:
            raise errors.invalid_parameter(violation.message)
        try:
            request = TemplateCreateRequest.model_validate(body)
        except ValidationError as exc:
            raise errors.invalid_parameter(first_error(exc)) from None
        problems = definition_problems(request)
        if problems:
            raise errors.template_invalid(problems[0])
        if self.sim.store.template(waba_id, request.name, request.language) is not None:
            raise errors.template_exists(request.name, request.language)
        deleted_at = self.sim.store.deleted_templates.get((waba_id, request.name, request.language))
        if deleted_at is not None and self.sim.clock.now() - deleted_at < DELETED_NAME_BLOCKED:
            raise errors.template_language_deleting(request.name, request.language)
        definition = TemplateDefinition(
            name=request.name,
            language=request.language,
            category=request.category,
            status="PENDING",
            parameter_format=request.parameter_format,
            components=request.components,
            waba_id=waba_id,
        )
        record = TemplateRecord(ids.numeric_id(), waba_id, definition)
        self.sim.store.templates.setdefault(waba_id, []).append(record)
        self.sim.spawn(self._review(record))
        self.sim.changed()
        return TemplateCreateResponse(id=record.id, status="PENDING", category=request.category)

    def delete(self, waba_id: str, name: str, hsm_id: str | None) -> list[TemplateRecord]:
        """``DELETE /{waba-id}/message_templates?name=…[&hsm_id=…]``: by name every language,
        with ``hsm_id`` only that one; the name and language stay blocked for four weeks."""
        records = self.sim.store.templates.get(waba_id, [])
        doomed = [r for r in records if r.definition.name == name and hsm_id in (None, r.id)]
        if not doomed:
            raise errors.template_not_found(name)
        self.sim.store.templates[waba_id] = [r for r in records if r not in doomed]
        now = self.sim.clock.now()
        for record in doomed:
            self.sim.store.deleted_templates[(waba_id, name, record.definition.language)] = now
        self.sim.changed()
        return doomed

    async def _review(self, record: TemplateRecord) -> None:
        await asyncio.sleep(self.sim.config.timing.template_review_delay)
        if "reject" in record.definition.name:
            self.set_status(record.id, "REJECTED", reason="INVALID_FORMAT")
        else:
            self.set_status(record.id, "APPROVED")

    def set_status(
        self, template_id: str, status: TemplateStatus, *, reason: str | None = None
    ) -> TemplateRecord:
        """Change a template's status and send the ``message_template_status_update`` webhook."""
        record = self.sim.store.template_by_id(template_id)
        if record is None:
            raise KeyError(f"no template {template_id}")
        record.definition.status = status
        record.definition.rejected_reason = reason if status == "REJECTED" else None
        event = TemplateStatusValue(
            event=status,
            message_template_id=int(record.id),
            message_template_name=record.definition.name,
            message_template_language=record.definition.language,
            reason=reason,
        )
        self.sim.notify(PendingItem(waba_id=record.waba_id, template_event=event))
        self.sim.changed()
        return record
