"""A real webhook receiver on loopback for the webhook tests: a thread running `http.server.ThreadingHTTPServer`
that verifies every request with the Standard Webhooks reference library (`standardwebhooks`) and answers as the
test scripts it.

    with WebhookReceiver(secret) as receiver:
        receiver.answer(503, headers={"Retry-After": "2"}, times=2)  # the next two requests; then 200
        ... receiver.url ...
        receiver.wait_for(1)  # the requests seen, each with its headers, body and verification
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    verified_with: list = field(default_factory=list)  # the receiver's secrets that verified it
    answered: int = 0

    @property
    def message_id(self):
        return self.headers.get("webhook-id")

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Answer:
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b'{"ok": true}'
    hold: threading.Event | None = None  # the request waits until it is set (a worker killed meanwhile)


def url_on(port):
    return f"http://127.0.0.1:{port}/hooks"


class WebhookReceiver:
    """Verifies each request against every secret in `secrets` (a rotation: the old and the new).

    Its port is bound from the start, but connections are accepted only from `start()`: before, a request to its
    URL is refused (a receiver that is down) and no other server, of this test or a parallel one, can take it."""

    def __init__(self, *secrets, host="127.0.0.1", port=0):
        self.secrets = list(secrets)
        self.received = []
        self._script = []  # Answers for the next requests, in order
        self._lock = threading.Lock()
        self._condition = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver._handle(self, body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler, bind_and_activate=False)
        try:
            self.server.server_bind()
        except OSError:
            self.server.server_close()
            raise
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def url(self):
        return url_on(self.port)

    def answer(self, status, *, headers=None, body=b"", times=1, hold=None):
        """Answer the next `times` requests so (after them: 200)."""
        with self._lock:
            self._script.extend(Answer(status, headers or {}, body, hold) for _ in range(times))

    def _handle(self, handler, body):
        headers = {key.lower(): value for key, value in handler.headers.items()}
        seen = Received(handler.path, headers, body)
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                seen.verified_with.append(secret)
            except WebhookVerificationError:
                pass
        with self._lock:
            answer = self._script.pop(0) if self._script else Answer()
            self.received.append(seen)
            self._condition.notify_all()
        if answer.hold is not None:
            answer.hold.wait(30)
        seen.answered = answer.status
        handler.send_response(answer.status)
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer.body)))
        handler.end_headers()
        handler.wfile.write(answer.body)

    def wait_for(self, count, timeout=15):
        """The requests received once there are at least `count` (AssertionError after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the receiver got {len(self.received)} requests, not {count}")
                self._condition.wait(left)
            return list(self.received)

    def start(self):
        self.server.server_activate()  # listen: from here its URL answers
        self.thread.start()
        return self

    def stop(self):
        if self.thread.is_alive():  # never started: nothing serves, and shutdown() would wait for ever
            self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
