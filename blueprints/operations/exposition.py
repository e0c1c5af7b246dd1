"""What a scrape of `/metrics` answers: the counters of every process (multiprocess mode) or of this one, and
what is measured at the scrape itself: queue depths (one Redis round trip) and the event relay's lag."""

import logging

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError

from app.jobs import get_event_queue, get_queue
from app.observability.backlog import backlog_key, event_backlog
from app.observability.metrics import MULTIPROCESS_DIR
from blueprints.operations.health import probe_redis

log = logging.getLogger(__name__)


class ScrapeTimeCollector:
    """Gauges read from Redis at each scrape."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        client = probe_redis(self.app)
        queues = (get_queue(self.app), get_event_queue(self.app))
        try:
            with client.pipeline(transaction=False) as pipeline:
                for queue in queues:
                    pipeline.llen(queue.key)
                pipeline.get(backlog_key(self.app))
                *depths, backlog = pipeline.execute()
        except RedisError as error:  # the counters are still worth a scrape; /readyz says what is down
            log.warning("Metrics read nothing from Redis: %s", error)
            yield GaugeMetricFamily("tessera_redis_up", "Whether the scrape could read Redis.", value=0)
            return
        yield GaugeMetricFamily("tessera_redis_up", "Whether the scrape could read Redis.", value=1)
        depth = GaugeMetricFamily("tessera_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
        for queue, value in zip(queues, depths, strict=True):
            depth.add_metric([queue.name], value)
        yield depth
        lag, swept_at = event_backlog(backlog)
        yield GaugeMetricFamily(
            "tessera_event_relay_lag_seconds",
            "Age of the oldest event still waiting for a delivery (0: none waits), as of the last outbox sweep.",
            value=lag,
        )
        if swept_at is not None:
            yield GaugeMetricFamily(
                "tessera_event_relay_last_sweep_timestamp_seconds",
                "When `flask events relay` last swept the outboxes (alert when it stops).",
                value=swept_at,
            )


def scrape(app):
    """The exposition text (Prometheus' text format 0.0.4)."""
    live = CollectorRegistry(auto_describe=False)
    live.register(ScrapeTimeCollector(app))
    if MULTIPROCESS_DIR:
        counted = CollectorRegistry()  # every process writing there: web workers and job workers alike
        MultiProcessCollector(counted, path=MULTIPROCESS_DIR)
    else:
        counted = REGISTRY
    return generate_latest(counted) + generate_latest(live)
