"""Analytics: a read model kept from events, figures scoped to the caller, dashboards (see docs/analytics.md)."""
