"""Argon2id password hashing (argon2-cffi's defaults follow RFC 9106's recommendations).

The hasher's cost comes from the app's PASSWORD_HASH_PROFILE: "production" (the default, and the
only one outside tests) or "testing", a cheap profile that TestConfig selects so that the suite
does not spend minutes hashing. A hash carries its own parameters, so every hash verifies under
either profile; production sees a testing hash as outdated and rehashes it at the next sign-in.
"""

import secrets
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY, Parameters
from flask import current_app, has_app_context

from config import config_from_env

PROFILES = {
    "production": RFC_9106_LOW_MEMORY,  # what PasswordHasher() uses by default: t=3, 64 MiB, p=4
    # Tests only: one pass over 64 KiB (still Argon2id with a full-length salt and hash).
    "testing": Parameters(
        type=Type.ID, version=19, salt_len=16, hash_len=32, time_cost=1, memory_cost=64, parallelism=1
    ),
}


@cache
def hasher_for(profile):
    return PasswordHasher.from_parameters(PROFILES[profile])


@cache
def _dummy_hash(profile):
    """Verified against when an account does not exist, so that both answers take about as long."""
    return hasher_for(profile).hash(secrets.token_urlsafe(16))


def _profile():
    """The app's profile; outside any app, that of the configuration LMS_ENV names (as create_app() would)."""
    if has_app_context():
        profile, testing = current_app.config.get("PASSWORD_HASH_PROFILE", "production"), current_app.testing
    else:
        config = config_from_env()
        profile, testing = config.PASSWORD_HASH_PROFILE, getattr(config, "TESTING", False)
    if profile != "production" and not testing:
        raise RuntimeError(f"The {profile!r} password hash profile is for tests only (TESTING=True).")
    return profile


def hash_password(password):
    return hasher_for(_profile()).hash(password)


def verify_password(password_hash, password):
    """True when `password` matches; a missing hash still costs one verification."""
    profile = _profile()
    try:
        return hasher_for(profile).verify(password_hash or _dummy_hash(profile), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash):
    return hasher_for(_profile()).check_needs_rehash(password_hash)


def generate_password():
    return secrets.token_urlsafe(12)


MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def _common_passwords():
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problems(password, email=""):
    """What is wrong with `password` for this account (an empty list when it is acceptable)."""
    password = password or ""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.strip().lower()
    email = (email or "").strip().lower()
    if email and (lowered == email or lowered == email.split("@")[0]):
        problems.append("Must not be your e-mail address.")
    if lowered in _common_passwords():
        problems.append("This password is too common; choose another.")
    return problems
