"""Where uploaded media lives, behind one small interface: save, open, serve, delete.

`LocalStorage` keeps files under `instance/media/files/<tenant>/` (the default). `S3Storage` keeps them in
a bucket of any S3-compatible object store (AWS S3, MinIO, Ceph, Garage…) when `LMS_MEDIA_STORAGE=s3`;
boto3 is then needed (`pip install boto3`, see README). Either way a key starts with the tenant's slug, and
the database row that names a key is the only way to reach it: access is decided before `serve`.
"""

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
from flask import current_app, redirect, send_file
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.extensions import db

CHUNK = 1 << 20
HEAD_BYTES = 64
log = logging.getLogger(__name__)


def missing(key):
    """A row names a file the storage does not have (deleted by hand, a lost volume, a restore without
    files): the person gets a 404, and the operator a warning to act on."""
    log.warning("Media file missing from storage: %s", key)
    return NotFound("This file is missing from the storage.")


@dataclass(frozen=True)
class Stored:
    key: str
    size: int
    sha256: str
    head: bytes  # the first bytes, to tell the real type


class MeteredReader:
    """Reads an upload through, counting and hashing it, and refuses it past `max_bytes`."""

    def __init__(self, stream, max_bytes):
        self.stream, self.max_bytes = stream, max_bytes
        self.digest, self.size, self.head = hashlib.sha256(), 0, b""

    def read(self, size=CHUNK):
        chunk = self.stream.read(CHUNK if size is None or size < 0 else size)
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise self.too_large()
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self.digest.update(chunk)
        return chunk

    def too_large(self):
        return ValidationFailed("The file is too large.", {"file": [f"At most {self.max_bytes // (1024 * 1024)} MB."]})

    def stored(self, key):
        return Stored(key, self.size, self.digest.hexdigest(), self.head)


def new_key(tenant_slug):
    return f"{tenant_slug}/{uuid.uuid4().hex}"


def _disposition(download_name, as_attachment):
    kind = "attachment" if as_attachment else "inline"
    ascii_name = download_name.encode("ascii", "replace").decode().replace('"', "")
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(download_name)}"


class LocalStorage:
    browser_origin = None  # files come from the app itself

    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the media folder")
        return path

    def save(self, tenant_slug, stream, max_bytes):
        """Stream an upload to disk, counting and hashing it; refuse it past `max_bytes`."""
        key = new_key(tenant_slug)
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        reader = MeteredReader(stream, max_bytes)
        try:
            with open(path, "wb") as out:
                while chunk := reader.read(CHUNK):
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return reader.stored(key)

    def open(self, key):
        return open(self._path(key), "rb")

    def serve(self, key, mimetype, download_name, as_attachment=False, max_age=3600):
        """The file itself, with conditional and range requests (phones seek in videos)."""
        path = self._path(key)
        if not path.is_file():
            raise missing(key)
        response = send_file(
            path,
            mimetype=mimetype,
            conditional=True,
            as_attachment=as_attachment,
            download_name=download_name,
            max_age=max_age,
        )
        response.headers["Cache-Control"] = f"private, max-age={max_age}"
        return response

    def delete(self, key):
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """A bucket of an S3-compatible store. Files are served by redirecting to a short-lived presigned URL,
    so that the object store answers range requests and the app never carries video bytes."""

    def __init__(
        self, bucket, prefix="", url_ttl=300, public_endpoint_url=None, addressing_style=None, **client_options
    ):
        import boto3  # noqa: PLC0415 - optional: only deployments that choose S3 install it
        from botocore.config import Config  # noqa: PLC0415 - optional, with boto3

        self.bucket, self.prefix, self.url_ttl = bucket, prefix.strip("/"), url_ttl
        # Signature v4 everywhere; path-style addresses (host/bucket/key) suit MinIO and most other stores.
        style = addressing_style or ("path" if client_options.get("endpoint_url") else "auto")
        client_options["config"] = Config(signature_version="s3v4", s3={"addressing_style": style})
        self.client = boto3.client("s3", **client_options)
        self.signer = (
            boto3.client("s3", **{**client_options, "endpoint_url": public_endpoint_url})
            if public_endpoint_url
            else self.client
        )

    def _object(self, key):
        return f"{self.prefix}/{key}" if self.prefix else key

    def save(self, tenant_slug, stream, max_bytes):
        key = new_key(tenant_slug)
        reader = MeteredReader(stream, max_bytes)
        try:
            self.client.upload_fileobj(reader, self.bucket, self._object(key))
        except BaseException:
            self.delete(key)  # a multipart upload that failed half-way is aborted by boto3 itself
            if reader.size > max_bytes:
                raise reader.too_large() from None  # whatever boto3 wrapped it in
            raise
        return reader.stored(key)

    def open(self, key):
        return self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]

    def _exists(self, key):
        from botocore.exceptions import ClientError  # noqa: PLC0415 - optional, with boto3

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def serve(self, key, mimetype, download_name, as_attachment=False, max_age=3600):
        """A redirect to a presigned link; checked first (one HEAD), since a link to nothing would fail in the
        browser, out of the app's sight."""
        if not self._exists(key):
            raise missing(key)
        url = self.signer.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._object(key),
                "ResponseContentType": mimetype,
                "ResponseContentDisposition": _disposition(download_name, as_attachment),
                "ResponseCacheControl": f"private, max-age={min(max_age, self.url_ttl)}",
            },
            ExpiresIn=self.url_ttl,
        )
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, no-store"  # the signature expires; ask again next time
        return response

    def delete(self, key):
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def keys_under(self, tenant_slug):
        """{key: size} of every object of the organization (`<prefix>/<slug>/…`), a page of 1 000 at a time."""
        found, strip = {}, len(self._object(""))
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._object(f"{tenant_slug}/")
        )
        for page in pages:
            for entry in page.get("Contents", ()):
                found[entry["Key"][strip:]] = entry["Size"]
        return found

    def open_sized(self, key):
        """(stream, size) of an object, or None when it is gone: a backup streams it into its archive."""
        from botocore.exceptions import ClientError  # noqa: PLC0415 - optional, with boto3

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return answer["Body"], answer["ContentLength"]

    def put(self, key, stream):
        """Stream `stream` into the object `key` (a restore puts a backup's files back, under their keys)."""
        self.client.upload_fileobj(stream, self.bucket, self._object(key))

    @property
    def browser_origin(self):
        """Where browsers fetch files from (for the Content-Security-Policy): the origin of a presigned link,
        which with virtual-host addressing includes the bucket. Signing is local: no request is made."""
        link = self.signer.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "probe"})
        parts = urlsplit(link)
        return f"{parts.scheme}://{parts.netloc}"


def build_storage(config):
    if config.get("MEDIA_STORAGE", "local") == "s3":
        client_options = {
            name: value
            for name, value in {
                "endpoint_url": config.get("S3_ENDPOINT_URL"),
                "region_name": config.get("S3_REGION"),
                "aws_access_key_id": config.get("S3_ACCESS_KEY_ID"),
                "aws_secret_access_key": config.get("S3_SECRET_ACCESS_KEY"),
            }.items()
            if value  # unset: boto3's own chain (AWS_* variables, instance roles) decides
        }
        return S3Storage(
            config["S3_BUCKET"],
            prefix=config.get("S3_PREFIX") or "",
            url_ttl=config.get("S3_URL_TTL", 300),
            public_endpoint_url=config.get("S3_PUBLIC_ENDPOINT_URL"),
            addressing_style=config.get("S3_ADDRESSING_STYLE"),
            **client_options,
        )
    root = config.get("MEDIA_ROOT") or os.path.join(config["INSTANCE_DIR"], "media", "files")
    return LocalStorage(root)


def media_storage():
    """The app's media storage (built once per app: an S3 client is worth keeping)."""
    storage = current_app.extensions.get("tessera.media_storage")
    if storage is None:
        storage = current_app.extensions["tessera.media_storage"] = build_storage(current_app.config)
    return storage


def expire_stored_files(model, done, expired, now):
    """Rows of `model` (reports, data exports: `status`, `file_key`, `expires_at`) done and past their expiry:
    their files deleted from storage, the rows marked `expired` (committed); how many."""
    rows = db.session.scalars(sa.select(model).where(model.status == done, model.expires_at <= now)).all()
    for row in rows:
        if row.file_key:
            media_storage().delete(row.file_key)
        row.status, row.file_key = expired, None
    db.session.commit()
    return len(rows)


_FILES_TO_DELETE = "tessera.files_to_delete_after_commit"


def delete_after_commit(keys):
    """Delete these stored files once the current transaction commits: a rollback keeps them, with the rows that
    still name them (deleted inside the transaction, a failed commit would leave rows naming missing files)."""
    db.session.info.setdefault(_FILES_TO_DELETE, []).extend(key for key in keys if key)


@sa.event.listens_for(Session, "after_commit")
def _delete_files_of_the_commit(session):
    keys = session.info.pop(_FILES_TO_DELETE, None)
    if not keys:
        return
    storage = media_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # the rows are gone: an unreachable file, not a failed request
            log.warning("Could not delete file %s from storage after its commit", key, exc_info=True)


@sa.event.listens_for(Session, "after_transaction_end")
def _keep_files_of_what_did_not_commit(session, transaction):
    """A transaction that ended without its commit (a rollback, a close) deletes nothing: after a commit the list is
    gone already."""
    if transaction.parent is None:
        session.info.pop(_FILES_TO_DELETE, None)
