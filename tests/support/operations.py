"""Job functions and helpers of the operations tests (request ids, logs, metrics, health)."""

from prometheus_client.parser import text_string_to_metric_families

from app.observability.request_id import current_request_id


def request_id_seen_by_job():
    """A job that answers the request id it runs under."""
    return current_request_id()


def failing_job():
    raise RuntimeError("this job fails on purpose")


def metric_value(text, name, **labels):
    """The value of the sample `name` with these labels in a scrape's text (0.0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return sample.value
    return 0.0


def scrape(client, **headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)
