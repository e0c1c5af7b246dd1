"""Integrations: webhook endpoints and roster syncs (docs/integrations.md)."""
