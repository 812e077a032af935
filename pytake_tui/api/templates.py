"""The admin area's template calls (WhatsApp domain): every template with its review status,
a sync from Meta, a submission for review, a deletion, and the numbers whose WABA a template
goes to.

The agents' picker reads only the approved ones (``conversations.approved_templates``)."""

from __future__ import annotations

import uuid

from pytake_daemon.protocol.whatsapp import (
    MessageTemplateOut,
    NumberList,
    TemplateCreate,
    TemplateList,
    TemplateSyncResult,
)
from pytake_tui.api.transport import API_PREFIX, Endpoints

_WHATSAPP = f"{API_PREFIX}/whatsapp"


class TemplateEndpoints(Endpoints):
    """``/whatsapp/templates…`` and the list of ``/whatsapp/numbers``."""

    async def all_templates(self) -> TemplateList:
        """Every template of the tenant's WABAs, whatever its status."""
        return await self._transport.get(TemplateList, f"{_WHATSAPP}/templates")

    async def sync_templates(self) -> TemplateSyncResult:
        """Fetch every template from Meta now (admins; a 502 carries Meta's sentence)."""
        return await self._transport.call(TemplateSyncResult, "POST", f"{_WHATSAPP}/templates/sync")

    async def submit_template(self, template: TemplateCreate) -> MessageTemplateOut:
        """Submit a template to Meta for review; it starts PENDING (admins)."""
        return await self._transport.call(
            MessageTemplateOut, "POST", f"{_WHATSAPP}/templates", template
        )

    async def delete_template(self, template_id: uuid.UUID) -> MessageTemplateOut:
        """Delete one template (one language) at Meta, then the daemon's copy (admins)."""
        return await self._transport.call(
            MessageTemplateOut, "DELETE", f"{_WHATSAPP}/templates/{template_id}"
        )

    async def business_numbers(self) -> NumberList:
        """The tenant's WhatsApp numbers (no secret ever leaves the daemon)."""
        return await self._transport.get(NumberList, f"{_WHATSAPP}/numbers")
