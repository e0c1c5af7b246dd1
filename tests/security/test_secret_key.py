"""Outside production, an instance without SECRET_KEY signs with its own random key, never a shared one."""

import stat
import threading
from pathlib import Path

import jwt
import pytest

from app import create_app
from app.security.secret_key import instance_secret_key
from app.security.tokens import InvalidToken, decode_access_token, issue_access_token
from config import DevelopmentConfig, TestConfig


def development_app(app_config, instance_dir, **overrides):
    settings = {**app_config, "INSTANCE_DIR": str(instance_dir), "SECRET_KEY": None} | overrides
    settings.pop("CONTROL_DATABASE_URL", None), settings.pop("TENANT_DATABASE_URL_TEMPLATE", None)
    return create_app(DevelopmentConfig, **settings)


def test_a_development_instance_makes_its_key_once_and_keeps_it_private(app_config, tmp_path):
    first = development_app(app_config, tmp_path / "one")
    key_file = tmp_path / "one" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text() and len(first.config["SECRET_KEY"]) >= 32
    restarted = development_app(app_config, tmp_path / "one")
    assert restarted.config["SECRET_KEY"] == first.config["SECRET_KEY"]  # sessions survive a restart

    other = development_app(app_config, tmp_path / "two")
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]
    with first.app_context():
        token, _ = issue_access_token(1, 1, ("org_admin",), "a-sign-in")
        claims = decode_access_token(token, 1)
    forged = jwt.encode(claims, "dev-only-secret-key-change-me-not-for-production", algorithm="HS256")
    with other.app_context():
        with pytest.raises(InvalidToken):
            decode_access_token(token, 1)  # one instance's tokens mean nothing to another
        with pytest.raises(InvalidToken):
            decode_access_token(forged, 1)  # nor do tokens signed with the key the source used to ship


def test_a_configured_key_is_used_and_nothing_is_written(app_config, tmp_path):
    configured = development_app(app_config, tmp_path, SECRET_KEY="k" * 40)
    assert configured.config["SECRET_KEY"] == "k" * 40 and not (tmp_path / "secret_key").exists()


def test_tests_keep_their_fixed_key(app, app_config):
    assert app.config["SECRET_KEY"] == TestConfig.SECRET_KEY
    assert not (Path(app_config["INSTANCE_DIR"]) / "secret_key").exists()


def test_processes_starting_together_agree_on_one_key(tmp_path):
    keys, start = [], threading.Barrier(8)

    def read_key():
        start.wait()
        keys.append(instance_secret_key(tmp_path))

    threads = [threading.Thread(target=read_key) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8 and len(set(keys)) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left behind
