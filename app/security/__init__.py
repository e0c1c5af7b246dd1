"""Security: password hashing, tokens, the acting principal, roles and permission checks."""
