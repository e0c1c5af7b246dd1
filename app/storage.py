"""Where uploaded media lives, behind one small interface.

`LocalStorage` keeps files under `instance/media/<tenant>/` (the default). An S3-compatible store
would implement the same four methods; none is built yet (see README).
"""

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from app.errors import ValidationFailed

CHUNK = 1 << 20


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str
    head: bytes  # the first bytes, to tell the real type


class LocalStorage:
    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the media folder")
        return path

    def save(self, tenant_slug, stream, max_bytes):
        """Stream an upload to disk, counting and hashing it; refuse it past `max_bytes`."""
        key = f"{tenant_slug}/{uuid.uuid4().hex}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with open(path, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ValidationFailed(
                            "The file is too large.", {"file": [f"At most {max_bytes // (1024 * 1024)} MB."]}
                        )
                    if len(head) < 64:
                        head += chunk[: 64 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Stored(key, size, digest.hexdigest(), head)

    def path(self, key):
        return self._path(key)

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)


def media_storage():
    root = current_app.config.get("MEDIA_ROOT") or os.path.join(current_app.config["INSTANCE_DIR"], "media", "files")
    return LocalStorage(root)
