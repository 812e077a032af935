"""The configuration transfer screen's calls: the tenant's YAML document out, a document in
(compared, then applied)."""

from __future__ import annotations

from pytake_daemon.protocol.tenant_config import ImportMode, ImportResult
from pytake_tui.api.transport import API_PREFIX, Endpoints, parse

_CONFIG = f"{API_PREFIX}/config"
_YAML = "application/yaml"


class TenantConfigEndpoints(Endpoints):
    """``/config/…`` (admins and owners)."""

    async def export_config(self) -> str:
        """The tenant's configuration as the YAML document ``pytake config export`` writes."""
        response = await self._transport.send("GET", f"{_CONFIG}/export")
        return response.text

    async def import_config(self, document: str, *, apply: bool) -> ImportResult:
        """Compare ``document`` with the tenant, or apply it (all or nothing).

        A document with problems is a 422 :class:`DaemonError` whose ``fields`` carry each
        problem's path in the document."""
        mode = ImportMode.APPLY if apply else ImportMode.DRY_RUN
        response = await self._transport.send(
            "POST", f"{_CONFIG}/import", params={"mode": mode.value}, text=(_YAML, document)
        )
        return parse(ImportResult, response)
