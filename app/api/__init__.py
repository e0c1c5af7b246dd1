"""API conventions: the response envelope, error handlers, and the list helper."""
