"""The development secret key: random per installation, kept in the instance folder.

A constant key in the source would let anyone sign session cookies and access tokens for any
instance started without `SECRET_KEY`. Production refuses to start without one (config.py); tests
set their own.
"""

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def instance_secret_key(instance_dir):
    """The key in `instance_dir/secret_key`, created on first use (mode 0600) and reused afterwards.

    The web server and the worker start together on a first run: the key is written to a private
    temporary file and linked into place, so whoever links first wins and the other reads that key.
    """
    path = Path(instance_dir) / FILE_NAME
    if not path.exists():
        temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have a new one made.")
    return key
