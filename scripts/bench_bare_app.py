"""The bare endpoint `scripts/bench_http_path.py` compares the app with: Flask, one route, the same envelope.

No tenant, no token, no rate limit, no database: what a Flask request under the same gunicorn costs at least.
The body is the app's own answer to the same request, read from the file named by BENCH_BARE_BODY.
"""

import json
import os

from flask import Flask, jsonify

app = Flask(__name__)
app.json.sort_keys = False
BODY = json.loads(open(os.environ["BENCH_BARE_BODY"]).read())  # noqa: SIM115 (read once at import)


@app.get("/api/v1/courses/<int:course_id>")
def course(course_id):
    return jsonify(BODY)
