"""An S3-compatible object store for tests: moto's standalone server on loopback, a bucket, and an app keeping its
media there (tests/courses/test_media_s3.py, tests/tenancy/test_backups_s3.py). A module uses them with

    from tests.support.s3 import bucket, s3_server  # the fixtures

    @pytest.fixture(scope="module")
    def app(app_config, s3_server, bucket):
        return s3_app(app_config, s3_server, bucket)
"""

import uuid

import pytest

from tests.conftest import build_app
from tests.support.services import S3Server


@pytest.fixture(scope="module")
def s3_server():
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bucket(s3_server):
    name = f"tessera-{uuid.uuid4().hex[:8]}"
    s3_server.client().create_bucket(Bucket=name)
    return name


def s3_app(app_config, s3_server, bucket, **config):
    """An app that keeps its media in the bucket."""
    return build_app(
        app_config,
        MEDIA_STORAGE="s3",
        S3_BUCKET=bucket,
        S3_ENDPOINT_URL=s3_server.url,
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID="tessera-test",
        S3_SECRET_ACCESS_KEY="tessera-test-secret",
        S3_PREFIX="media",
        **config,
    )
