"""``pytake notify smtp|test-email`` in-process against this session's servers and a real SMTP
server process: the test e-mail arrives; a server away is one line, never a traceback."""

from __future__ import annotations

import asyncio

from typer.testing import CliRunner

from pytake_cli.main import app
from pytake_daemon.config import Settings
from pytake_daemon.protocol import Role
from tests.conftest import MakeTenant
from tests.flows.test_segments_and_cli import cli_env
from tests.notifications.conftest import SmtpServer

runner = CliRunner()


async def test_notify_smtp_and_test_email(
    settings: Settings, make_tenant: MakeTenant, smtp_server: SmtpServer
) -> None:
    tenant = await make_tenant()
    env = {
        **cli_env(settings),
        "SMTP_PASSWORD": "s3cret",
        "PYTAKE_NOTIFICATIONS__EMAIL_ATTEMPTS": "2",
        "PYTAKE_NOTIFICATIONS__EMAIL_BACKOFF_SECONDS": "0.05",
    }

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["notify", *args, "-t", tenant.slug], env=env)
        return result.exit_code, result.output

    async def run(*args: str) -> tuple[int, str]:
        # The commands run their own loop (asyncio.run): a worker thread.
        return await asyncio.to_thread(cli, *args)

    code, out = await run("smtp", "--host", "127.0.0.1", "--port", str(smtp_server.port),
                          "--security", "none", "--from", "pytake@example.test",
                          "--password-env", "SMTP_PASSWORD")  # fmt: skip
    assert (code, out.strip()) == (
        0,
        f"SMTP for {tenant.slug}: 127.0.0.1:{smtp_server.port} (none)",
    )
    assert "s3cret" not in out
    code, out = await run("test-email")
    assert (code, out.strip()) == (0, f"test e-mail sent to {tenant[Role.OWNER].email} (1 try)")
    [mail] = smtp_server.messages()
    assert (str(mail["To"]), str(mail["Subject"])) == (
        tenant[Role.OWNER].email,
        "PyTake: test e-mail",
    )

    code, out = await run("smtp", "--host", "x", "--from", "not-an-address")
    assert code == 1
    assert out.strip().startswith("error: from_address:")
    await smtp_server.stop()
    code, out = await run("test-email", "--to", "ops@example.test")
    lines = [line for line in out.splitlines() if line.strip()]
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith("error: the SMTP server did not take the test e-mail: ")
