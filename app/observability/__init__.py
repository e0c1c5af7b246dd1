"""Request ids, logs and metrics: what an operator reads to know how the service is doing (docs/operations.md)."""
