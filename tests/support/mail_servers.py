"""SMTP servers that misbehave on purpose, for the notification e-mails' reliability tests: a real aiosmtpd
server on loopback, like `services.SmtpSink`, that can refuse every message with a 4xx until told otherwise,
refuse chosen recipients for good (5xx), and answer slowly (so that a kill lands in the middle of a batch)."""

import asyncio
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.support.services import free_port


class UnreliableSmtpSink:
    """`refusing`: the answer to every DATA (e.g. "451 4.3.0 Try again later"), None to accept; `rejected`:
    address -> the answer to its RCPT ("550 5.1.1 No such user"); `delay`: seconds before each 250, counted
    after the message was kept (the window in which a killed client leaves a message delivered but unmarked)."""

    def __init__(self, refusing=None, delay=0.0):
        self.refusing = refusing
        self.rejected = {}
        self.delay = delay
        self.messages = []
        self.refused = 0  # DATA commands answered with `refusing`
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in sink.rejected:
                    return sink.rejected[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if sink.refusing:
                    with sink.lock:
                        sink.refused += 1
                    return sink.refusing
                with sink.lock:
                    sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def accept(self):
        self.refusing = None

    def to(self, address):
        return [message for message in list(self.messages) if address in message["To"]]

    def stop(self):
        self.controller.stop()
