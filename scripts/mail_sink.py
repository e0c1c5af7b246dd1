"""Development SMTP sink: keeps every message as an .eml file (`make run` starts it).

    python -m scripts.mail_sink --port 8025 --dir instance/outbox

Operators read them at http://localhost:5000/outbox while LMS_OUTBOX_DIR points at the folder.
"""

import argparse
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class KeepToDisk:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{time.monotonic_ns()}.eml"
        (self.folder / name).write_bytes(envelope.content)
        return "250 Kept in the development outbox"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="instance/outbox")
    args = parser.parse_args()
    controller = Controller(KeepToDisk(args.dir), hostname=args.host, port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
