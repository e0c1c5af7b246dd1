"""Tenancy: the tenant registry, host -> tenant resolution, per-tenant engines, provisioning."""
