"""CSV imports through the API, for the tests of imports and of who owns them."""

import io

from tests.conftest import run_jobs

HEADER = "email,first_name,last_name,role,branch,classes,external_id,password\n"


def upload(client_api, text, mode="dry_run", invitations=True, filename="people.csv", raw=None):
    data = {
        "file": (io.BytesIO(raw if raw is not None else text.encode()), filename),
        "mode": mode,
        "send_invitations": "true" if invitations else "false",
    }
    return client_api.post("/api/v1/imports", data=data, content_type="multipart/form-data")


def run(app, client_api, text, **kwargs):
    response = upload(client_api, text, **kwargs)
    assert response.status_code == 202, response.get_json()
    run_jobs(app)
    return client_api.get(f"/api/v1/imports/{response.get_json()['data']['id']}").get_json()["data"]
