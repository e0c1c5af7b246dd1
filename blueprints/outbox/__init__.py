from blueprints.outbox.views import bp as outbox_pages

__all__ = ["outbox_pages"]
