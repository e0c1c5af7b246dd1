"""Throw-away Redis and PostgreSQL servers on loopback, for one test session.

Each runs from its own scratch directory (scratch_dir) on a free port and is stopped when the session ends.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

import boto3
from aiosmtpd.controller import Controller

# Scratch files live in memory where Linux offers it (/dev/shm): they are thrown away with the session, and on
# a disk shared with other work each SQLite commit's fsync cost more than the rest of provisioning a tenant.
# A small /dev/shm (a container's 64 MB default) would fill up: then the disk's temporary directory.
SCRATCH_MIN_FREE = 4 << 30


def _memory_scratch():
    if not (os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK)):
        return None
    return "/dev/shm" if shutil.disk_usage("/dev/shm").free >= SCRATCH_MIN_FREE else None


SCRATCH = _memory_scratch()


def scratch_dir(prefix):
    """A new private directory for this session's servers and databases; its owner removes it."""
    return tempfile.mkdtemp(prefix=prefix, dir=SCRATCH)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port, process, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{name} exited early with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on port {port} within {timeout}s")


def _stop(process, grace=10):
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    def __init__(self):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run `make test` (it installs it).")
        self.dir = scratch_dir("tessera-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.process, "redis-server")
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        _stop(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def postgres_bin_dir():
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs it).")
    return Path(candidates[-1])


class PostgresServer:
    """initdb + postgres as the `postgres` user when we are root (PostgreSQL refuses root)."""

    def __init__(self):
        self.bin = postgres_bin_dir()
        self.root = scratch_dir("tessera-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            [str(self.bin / "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]
        )
        self.log = open(os.path.join(self.root, "server.log"), "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            self._as_postgres(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    self.data,
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.root}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=300",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        _wait_for_port(self.port, self.process, "postgres")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _as_postgres(self, command):
        return ["runuser", "-u", "postgres", "--", *command] if self.as_root else command

    def _run(self, command):
        subprocess.run(self._as_postgres(command), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self):
        _stop(self.process, grace=20)
        self.log.close()
        shutil.rmtree(self.root, ignore_errors=True)


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""

    def __init__(self):
        sink = self
        self.messages = []

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(message_from_bytes(envelope.content, policy=policy.default))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def clear(self):
        self.messages.clear()

    def to(self, address):
        return [message for message in self.messages if address in message["To"]]

    def stop(self):
        self.controller.stop()


class S3Server:
    """An S3-compatible object store on loopback: moto's standalone server, spoken to over HTTP by boto3."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port(self.port, self.process, "S3 server")
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="tessera-test",
            aws_secret_access_key="tessera-test-secret",
        )

    def stop(self):
        _stop(self.process)
