"""The two ways Slack reaches the app. HTTP mode: a small threaded WSGI server in front of
Bolt's WSGI adapter, plus /healthz; Bolt verifies each request's signature and timestamp (401
otherwise). Socket Mode: Bolt's handler dials out over a websocket, so no public URL."""

from __future__ import annotations

import logging
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        logger.debug("%s - %s", self.address_string(), format % args)


def wsgi_app(app: App, path: str = EVENTS_PATH):
    """A WSGI callable: Slack requests on `path`, GET /healthz for load balancers."""
    slack = SlackRequestHandler(app, path=path)

    def application(environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    return application


class HttpServer:
    """Serve a Bolt app over HTTP on host:port (port 0 picks a free one)."""

    def __init__(self, app: App, host: str = "0.0.0.0", port: int = 3000, path: str = EVENTS_PATH):
        self._server = make_server(
            host, port, wsgi_app(app, path), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        return self._server.server_address[1]

    def serve_forever(self) -> None:
        """Block serving requests until `shutdown`."""
        logger.info("listening for Slack on port %d%s", self.port, EVENTS_PATH)
        self._server.serve_forever(poll_interval=0.2)

    def start(self) -> HttpServer:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="actionbot-http", daemon=True)
        self._thread.start()
        return self

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def socket_mode_handler(app: App, app_token: str, ping_interval: float = 10) -> SocketModeHandler:
    """A Socket Mode connection for `app`; `connect()` returns at once, `start()` blocks.

    https://api.slack.com/apis/socket-mode : apps.connections.open goes through app.client, so
    SLACK_API_URL applies to it as well."""
    return SocketModeHandler(app, app_token, web_client=app.client, ping_interval=ping_interval)
