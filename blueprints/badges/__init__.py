"""Badges: definitions with criteria, automatic and manual awards, Open Badges 3.0 and 2.0."""
