"""Exports read back: CSV with the csv module, JSON Lines with json, XLSX with openpyxl; through
the API (streamed, audited) and ``pytake report`` (in-process, this session's servers)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]  # no stubs or py.typed
from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.db.pool import Connection
from pytake_daemon.keys import SECRET_BOX
from pytake_daemon.protocol import Role
from tests.conftest import ApiClient, MakeTenant
from tests.flows.test_segments_and_cli import cli_env
from tests.reports.seed import FIRST_DAY, LAST_DAY, TZ, seed_weekend

PERIOD = {"first_day": FIRST_DAY, "last_day": LAST_DAY, "tz": TZ}
runner = CliRunner()


async def test_api_exports_parse_back_and_are_audited(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    w = await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    headers = tenant[Role.SUPERVISOR].headers

    async def get(**params: str) -> bytes:
        resp = await api.get("/api/v1/reports/export", params={**PERIOD, **params}, headers=headers)
        assert resp.status == 200, await resp.text()
        return await resp.read()

    hourly = list(csv.DictReader(io.StringIO((await get(dataset="hourly")).decode())))
    assert len(hourly) == 47
    assert hourly[25]["start"] == "2026-03-29T02:00:00+01:00"
    assert sum(int(r["inbound"]) for r in hourly) == 6

    lines = (await get(dataset="messages", format="jsonl")).decode().splitlines()
    messages = [json.loads(line) for line in lines]
    assert len(messages) == 11
    assert messages[0]["created_at"] == "2026-03-28T10:00:00+00:00"
    assert messages[-1]["created_at"] == "2026-03-29T23:59:00+01:00"
    assert [m["error_code"] for m in messages if m["error_code"]] == [131047]

    body = await get(dataset="messages", format="xlsx", queue_id=str(w.support))
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("created_at", "id", "conversation_id", "direction")
    # Support's attendances: Ana's reply and thanks, Bruno's reply.
    assert [r[3] for r in rows[1:]] == ["out", "in", "out"]

    summary = dict(csv.reader(io.StringIO((await get(dataset="summary")).decode())))
    assert (summary["attendance.sla.met"], summary["csat.distribution.5"]) == ("1", "1")

    conversations = list(csv.DictReader(io.StringIO((await get(dataset="conversations")).decode())))
    assert sorted(c["profile_name"] for c in conversations) == ["Ana", "Bruno", "Carla", "Davi"]

    recorded = await admin_conn.fetch(
        "SELECT diff FROM audit_entries WHERE tenant_id = $1 AND action = 'report.export'"
        " ORDER BY seq",
        tenant.id,
    )
    exported = [(r["diff"]["export"]["after"]["dataset"], r["diff"]["export"]["after"]["format"])
                for r in recorded]  # fmt: skip
    assert exported == [
        ("hourly", "csv"), ("messages", "jsonl"), ("messages", "xlsx"), ("summary", "csv"),
        ("conversations", "csv"),
    ]  # fmt: skip


async def test_cli_shows_and_exports_with_one_line_errors(
    settings: Settings, make_tenant: MakeTenant, admin_conn: Connection, tmp_path: Path
) -> None:
    from pytake_daemon.whatsapp.secretbox import load_secret_box

    tenant = await make_tenant()
    await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, load_secret_box(settings))
    env = cli_env(settings)
    period = ["--period", f"{FIRST_DAY}..{LAST_DAY}", "--tz", TZ, "-t", tenant.slug]

    async def cli(*args: str) -> tuple[int, str]:
        # The commands run their own event loop (asyncio.run): not on the test's thread.
        result = await asyncio.to_thread(runner.invoke, app, ["report", *args], env=env)
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    code, out = await cli("show", *period, "--queue", "Support", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert (report["level"], report["attendance"]["entered"]) == ("queue", 2)

    code, out = await cli("show", *period)
    assert code == 0, out
    assert "SLA met: 1 of 3 (33.3%)" in out

    target = tmp_path / "breakdown.xlsx"
    code, out = await cli("export", "breakdown", *period, "--format", "xlsx", "--out", str(target))
    assert code == 0, out
    sheet = openpyxl.load_workbook(target, read_only=True).active
    assert sheet is not None
    names = [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["Support", "Sales"]

    code, out = await cli("export", "messages", *period, "--format", "jsonl")
    assert code == 0, out
    assert len([json.loads(line) for line in out.splitlines() if line.startswith("{")]) == 11

    code, out = await cli("show", "-t", tenant.slug, "--tz", "Mars/Olympus")
    assert code != 0
    assert "--tz" in out
    assert "unknown time zone" in out
    code, out = await cli("show", "-t", tenant.slug, "--queue", "Nowhere")
    assert (code, out.count("\n")) == (1, 1)
    assert "no queue 'Nowhere'" in out


async def test_a_client_that_leaves_stops_the_export_query(
    api: ApiClient, make_tenant: MakeTenant, admin_conn: Connection
) -> None:
    tenant = await make_tenant()
    w = await seed_weekend(admin_conn, tenant.id, tenant[Role.AGENT].id, api.app[SECRET_BOX])
    # 40,000 messages of a kilobyte in the period: far more than socket buffers hold.
    await admin_conn.execute(
        """
        INSERT INTO messages (tenant_id, conversation_id, direction, type, content, text, status,
                              created_at)
        SELECT $1, $2, 'in', 'text', '{}', repeat('x', 1000), 'received',
               '2026-03-28T12:00Z'::timestamptz + g * interval '1 second'
          FROM generate_series(1, 40000) AS g
        """,
        tenant.id,
        w.ana,
    )
    resp = await api.get(
        "/api/v1/reports/export",
        params={**PERIOD, "dataset": "messages", "format": "csv"},
        headers=tenant[Role.SUPERVISOR].headers,
    )
    assert resp.status == 200
    assert (await resp.content.readexactly(1000)).startswith(b"created_at,id,")
    database = await admin_conn.fetchval("SELECT current_database()")
    busy = """
        SELECT count(*) FROM pg_stat_activity
         WHERE datname = $1 AND usename = 'pytake_app' AND query LIKE '%ORDER BY m.created_at%'
           AND state IN ('active', 'idle in transaction')
    """
    # The server waits for the client to read on: its cursor is open, mid-query.
    assert await admin_conn.fetchval(busy, database) == 1
    resp.close()  # the client goes away mid-download

    deadline = asyncio.get_running_loop().time() + 30
    while await admin_conn.fetchval(busy, database):
        assert asyncio.get_running_loop().time() < deadline, "the export's query kept running"
        await asyncio.sleep(0.05)
