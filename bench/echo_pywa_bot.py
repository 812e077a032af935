"""The comparison bot for ``bench/echo.py``: a minimal echo bot written with pywa (the popular
Python WhatsApp framework) on its FastAPI server, its Graph API base URL pointed at the simulator.

Run as ``python bench/echo_pywa_bot.py PORT GRAPH_URL PHONE_ID TOKEN APP_SECRET``.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI
from pywa_async.client import WhatsApp
from pywa_async.handlers import MessageHandler


class OneLine(logging.Filter):
    """Under overload pywa logs a traceback per lost echo: one line each instead, and only the
    first few of each kind (the benchmark counts the missing echoes itself)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}: {type(record.exc_info[1]).__name__}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        kind = re.sub(r"\[[0-9a-f]+\]", "", record.getMessage())
        self.seen[kind] = self.seen.get(kind, 0) + 1
        if self.seen[kind] == 3:
            record.msg = f"{record.getMessage()} (and more like it, not shown)"
            record.args = None
        return self.seen[kind] <= 3


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="pywa bot: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(OneLine())
    port, graph_url, phone_id, token, app_secret = sys.argv[1:6]
    app = FastAPI()
    wa = WhatsApp(
        phone_id=phone_id,
        token=token,
        server=app,
        webhook_endpoint="/webhook",
        verify_token="bench-verify",
        app_secret=app_secret,
        webhook_challenge_delay=0,
    )
    # pywa has no setting for the Graph API's address; its client is an httpx one.
    wa.api._session.base_url = f"{graph_url}/v23.0"

    async def echo(client: Any, message: Any) -> None:
        await client.send_message(to=message.from_user.wa_id, text=message.text or "?")

    wa.add_handlers(MessageHandler(echo))

    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
