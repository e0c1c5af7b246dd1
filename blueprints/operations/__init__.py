"""Operations: the probes a load balancer and a monitor use (`/healthz`, `/readyz`) and Prometheus' `/metrics`."""
