# ruff: noqa: F811 - the imported fixtures are arguments of the tests below, as pytest passes them
"""Media in an S3-compatible object store: the same uploads, checks and access rules, served by presigned links.

The store is a real S3 endpoint on loopback (moto's standalone server) that boto3 talks to over HTTP; the
links the app hands out are fetched like a browser would, Range requests included.
"""

import io

import pytest
import urllib3

from config import BASE_DIR
from tests.conftest import build_app
from tests.support.courses import PDF, _image, make_course
from tests.support.s3 import bucket, s3_app, s3_server  # noqa: F401 - fixtures

WEBM = (BASE_DIR / "app" / "assets" / "demo-lesson.webm").read_bytes()


@pytest.fixture(scope="module")
def app(app_config, s3_server, bucket):
    """This module's app keeps its media in the bucket (every fixture that takes `app` gets this one)."""
    return s3_app(app_config, s3_server, bucket, MEDIA_MAX_BYTES=9 * 1024 * 1024)


def objects(s3_server, bucket):
    listing = s3_server.client().list_objects_v2(Bucket=bucket)
    return [entry["Key"] for entry in listing.get("Contents", [])]


def fetch(url, headers=None):
    """What a browser does with the redirect: fetch the presigned link from the object store."""
    response = urllib3.request("GET", url, headers=headers or {}, redirect=False)
    return response.status, response.headers, response.data


def upload(client, item_id, data, name):
    return client.post(
        f"/api/v1/content/{item_id}/media", content_type="multipart/form-data", data={"file": (io.BytesIO(data), name)}
    )


def test_media_lives_in_the_bucket_and_is_served_by_short_lived_links(school, s3_server, bucket):
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    course_id, _ = make_course(teacher, items=0)
    video = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "video", "title": "Clip", "module_title": "M"}
    ).get_json()["data"]["id"]
    before = set(objects(s3_server, bucket))

    lying = upload(teacher, video, PDF, "clip.webm")
    assert lying.status_code == 422 and "application/pdf" in lying.get_json()["error"]["message"]
    assert set(objects(s3_server, bucket)) == before  # the refused bytes did not stay in the store
    saved = upload(teacher, video, WEBM, "lesson.webm").get_json()["data"]
    (key,) = set(objects(s3_server, bucket)) - before
    assert key.startswith(f"media/{school['tenant'].slug}/")

    assert learner.get(saved["url"]).status_code == 404  # not enrolled: no link at all
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [me]})
    answer = learner.get(saved["url"])
    assert answer.status_code == 302 and answer.headers["Cache-Control"] == "private, no-store"
    link = answer.headers["Location"]
    assert link.startswith(s3_server.url) and "X-Amz-Signature=" in link and "X-Amz-Expires=300" in link
    status, headers, body = fetch(link)
    assert status == 200 and body == WEBM and headers["Content-Type"] == "video/webm"
    assert headers["Content-Disposition"].startswith("inline")
    status, headers, body = fetch(link, {"Range": "bytes=100-199"})
    assert status == 206 and body == WEBM[100:200] and headers["Content-Range"] == f"bytes 100-199/{len(WEBM)}"
    forged = link.replace(key, key[:-1] + ("0" if key[-1] != "0" else "1"))
    assert fetch(forged)[0] == 403  # a link names one object; another one needs its own signature

    handout = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    ).get_json()["data"]["id"]
    pdf = upload(teacher, handout, PDF, "Übung 1.pdf").get_json()["data"]
    status, headers, body = fetch(learner.get(pdf["url"]).headers["Location"])
    assert body == PDF and headers["Content-Type"] == "application/pdf"
    assert "filename*=UTF-8''%C3%9Cbung%201.pdf" in headers["Content-Disposition"]

    assert teacher.delete(saved["url"]).get_json()["data"]["outcome"] == "deleted"
    assert key not in objects(s3_server, bucket) and learner.get(saved["url"]).status_code == 404


def test_an_upload_too_large_for_the_limit_leaves_nothing_in_the_bucket(school, s3_server, bucket):
    teacher = school["teacher"]
    course_id, _ = make_course(teacher, items=0)
    video = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "video", "title": "Big", "module_title": "M"}
    ).get_json()["data"]["id"]
    before = set(objects(s3_server, bucket))
    big = b"\x1a\x45\xdf\xa3" + b"\x00" * (12 * 1024 * 1024)  # past the 9 MB limit, and past boto3's multipart size
    refused = upload(teacher, video, big, "long.webm")
    assert refused.status_code == 422 and refused.get_json()["error"]["details"]["file"] == ["At most 9 MB."]
    assert set(objects(s3_server, bucket)) == before
    assert s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_covers_and_the_content_security_policy_follow_the_store(school, s3_server, bucket, app):
    teacher, learner = school["teacher"], school["learners"][0]
    course_id, _ = make_course(teacher, items=1)
    put = teacher.put(
        f"/api/v1/courses/{course_id}/cover",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(_image((320, 180))), "c.jpg")},
    )
    cover_url = put.get_json()["data"]["cover_url"]
    status, headers, body = fetch(learner.get(cover_url).headers["Location"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and body[:3] == b"\xff\xd8\xff"

    policy = learner.get("/api/v1/courses").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: {s3_server.url}" in policy and f"media-src 'self' {s3_server.url}" in policy


def test_an_object_missing_from_the_bucket_is_a_404_and_a_warning(school, s3_server, bucket, caplog):
    """No redirect to a link that would fail in the browser, out of the app's sight."""
    teacher = school["teacher"]
    course_id, _ = make_course(teacher, items=0)
    handout = teacher.post(
        f"/api/v1/courses/{course_id}/content", json={"kind": "file", "title": "Sheet", "module_title": "M"}
    ).get_json()["data"]["id"]
    before = set(objects(s3_server, bucket))
    pdf = upload(teacher, handout, PDF, "sheet.pdf").get_json()["data"]
    (key,) = set(objects(s3_server, bucket)) - before
    s3_server.client().delete_object(Bucket=bucket, Key=key)
    with caplog.at_level("WARNING", logger="app.storage"):
        answer = teacher.get(pdf["url"])
    assert answer.status_code == 404 and "Location" not in answer.headers
    assert [r.getMessage() for r in caplog.records if "missing" in r.getMessage()] == [
        f"Media file missing from storage: {key.removeprefix('media/')}"
    ]


def test_the_app_refuses_to_start_with_s3_and_no_bucket(app_config):
    with pytest.raises(RuntimeError, match="LMS_S3_BUCKET"):
        build_app(app_config, MEDIA_STORAGE="s3", S3_BUCKET=None)
    with pytest.raises(RuntimeError, match="'local' or 's3'"):
        build_app(app_config, MEDIA_STORAGE="ftp")
