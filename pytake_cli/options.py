"""Options shared by the command groups, so ``-t`` and ``--json`` mean the same everywhere."""

from __future__ import annotations

from typing import Annotated

import typer

TenantOpt = Annotated[str, typer.Option("--tenant", "-t", help="Tenant slug or id.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
