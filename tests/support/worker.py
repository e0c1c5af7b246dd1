"""A real RQ worker process for tests that need to kill one: `python -m tests.support.worker`.

Reads the app configuration from the JSON in TESSERA_TEST_APP_CONFIG and works until the queue
is empty. It forks a work horse per job, as production workers do.
"""

import json
import os

from rq import Worker

from app import create_app
from app.jobs import get_queue, redis_connection
from config import TestConfig


def main():
    app = create_app(TestConfig, **json.loads(os.environ["TESSERA_TEST_APP_CONFIG"]))
    with app.app_context():
        Worker([get_queue()], connection=redis_connection()).work(burst=True)


if __name__ == "__main__":
    main()
