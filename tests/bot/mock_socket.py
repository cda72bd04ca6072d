"""A local Socket Mode server: the websocket end that Slack runs. It says hello, sends the
envelopes a test gives it and records the acknowledgements the app sends back."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from websockets.sync.server import ServerConnection, serve


class FakeSocketMode:
    """ws://127.0.0.1:PORT/link; start() binds a free port."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._conn: ServerConnection | None = None
        self._cond = threading.Condition()
        self._server = None

    def start(self) -> FakeSocketMode:
        """Serve in a background thread."""
        self._server = serve(self._handle, "127.0.0.1", 0, ping_interval=None)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Close the connection and the server."""
        if self._conn is not None:
            self._conn.close()
        if self._server is not None:
            self._server.shutdown()

    @property
    def url(self) -> str:
        """The URL apps.connections.open hands out."""
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link?ticket=test"

    def _handle(self, conn: ServerConnection) -> None:
        # https://api.slack.com/apis/socket-mode#connect : the first frame is "hello"
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0TEST"},
                    "debug_info": {"host": "fake", "approximate_connection_time": 3600},
                }
            )
        )
        with self._cond:
            self._conn = conn
            self._cond.notify_all()
        for message in conn:
            with self._cond:
                self.received.append(json.loads(message))
                self._cond.notify_all()

    def wait_connected(self, timeout: float = 10) -> None:
        """Block until the app has connected."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._conn is not None, timeout):
                raise AssertionError("the app never connected to the Socket Mode server")

    def send(self, envelope: dict[str, Any]) -> None:
        """Push an envelope (events_api, slash_commands, interactive) to the app."""
        assert self._conn is not None
        self._conn.send(json.dumps(envelope))

    def wait_ack(self, envelope_id: str, timeout: float = 10) -> dict[str, Any]:
        """The app's acknowledgement of `envelope_id`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for msg in self.received:
                    if msg.get("envelope_id") == envelope_id:
                        return msg
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for {envelope_id}; received {self.received}")
                self._cond.wait(left)
