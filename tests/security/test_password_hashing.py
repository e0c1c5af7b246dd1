"""Passwords: production hashes with RFC 9106's Argon2id cost; only the test suite uses a cheap profile."""

import pytest
from flask import Flask

from app.security.passwords import hash_password, hasher_for, needs_rehash, verify_password
from config import Config, DevelopmentConfig, ProductionConfig, TestConfig


def hashing_app(config_class):
    """Just enough of an app to select a profile: the password functions read only its config."""
    app = Flask(__name__)
    app.config.from_object(config_class)
    return app


def test_production_parameters_are_rfc_9106_low_memory_argon2id(monkeypatch):
    production = hasher_for("production")
    assert (production.time_cost, production.memory_cost, production.parallelism) == (3, 64 * 1024, 4)
    assert (production.hash_len, production.salt_len) == (32, 16)
    for config_class in (Config, DevelopmentConfig, ProductionConfig):
        with hashing_app(config_class).app_context():
            assert hash_password("a-long-new-password").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    for environment in ("production", "development"):  # outside an app: the configuration LMS_ENV names
        monkeypatch.setenv("LMS_ENV", environment)
        assert hash_password("outside-any-app").startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_made_by_the_test_profile_verifies_in_production_and_is_upgraded_there():
    with hashing_app(TestConfig).app_context():
        cheap = hash_password("correct-horse-battery")
        assert cheap.startswith("$argon2id$v=19$m=64,t=1,p=1$")
        assert verify_password(cheap, "correct-horse-battery") and not needs_rehash(cheap)
    with hashing_app(ProductionConfig).app_context():
        assert verify_password(cheap, "correct-horse-battery")
        assert not verify_password(cheap, "correct-horse-batterY")
        assert needs_rehash(cheap)  # production replaces it with a full-cost hash at the next sign-in
        assert not verify_password(None, "correct-horse-battery")


def test_the_cheap_profile_is_refused_outside_tests():
    careless = hashing_app(DevelopmentConfig)
    careless.config["PASSWORD_HASH_PROFILE"] = "testing"
    with careless.app_context(), pytest.raises(RuntimeError, match="for tests only"):
        hash_password("a-long-new-password")
