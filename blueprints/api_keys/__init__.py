"""The api_keys feature: see its api.py, views.py, services.py and models.py."""
