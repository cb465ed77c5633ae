"""Settings: secrets long enough, never shown, read from the environment, safe cookie rules."""

from __future__ import annotations

import logging

import pytest

from authdemo import Secret, Settings
from authdemo.settings import MIN_SECRET_BYTES

LONG_ENOUGH = "k" * MIN_SECRET_BYTES
JWT_VALUE = "env-jwt-secret-that-is-long-enough-0123456789"
SESSION_A = "env-session-secret-A-long-enough-0123456789"
SESSION_B = "env-session-secret-B-long-enough-0123456789"


def settings_with(**changes: object) -> Settings:
    defaults: dict[str, object] = {"jwt_secret": Secret(LONG_ENOUGH),
                                   "session_secrets": (Secret(LONG_ENOUGH),)}
    return Settings(**{**defaults, **changes})  # type: ignore[arg-type]


# --- secrets must be long enough ------------------------------------------------------------
class TestSecretLength:
    def test_a_jwt_secret_one_byte_short_is_refused(self):
        with pytest.raises(ValueError, match="jwt_secret is 31 bytes; at least 32"):
            settings_with(jwt_secret=Secret("k" * (MIN_SECRET_BYTES - 1)))

    def test_a_short_session_secret_anywhere_in_the_rotation_list_is_refused(self):
        with pytest.raises(ValueError, match="session_secrets is 15 bytes"):
            settings_with(session_secrets=(Secret(LONG_ENOUGH), Secret("your_secret_key")))

    def test_a_secret_of_exactly_32_bytes_is_accepted(self):
        settings = settings_with(jwt_secret=Secret(LONG_ENOUGH))
        assert settings.jwt_secret.reveal() == LONG_ENOUGH.encode()

    def test_a_plain_string_instead_of_a_secret_is_refused(self):
        with pytest.raises(TypeError, match="jwt_secret must be a Secret, not str"):
            settings_with(jwt_secret=LONG_ENOUGH)

    def test_a_single_session_secret_not_wrapped_in_a_tuple_is_refused(self):
        with pytest.raises(TypeError, match="tuple of Secret"):
            settings_with(session_secrets=Secret(LONG_ENOUGH))

    def test_an_empty_session_secret_list_is_refused(self):
        with pytest.raises(ValueError, match="at least one secret"):
            settings_with(session_secrets=())

    def test_without_secrets_each_settings_object_gets_its_own_random_ones(self):
        first, second = Settings(), Settings()
        assert len(first.jwt_secret) >= MIN_SECRET_BYTES
        assert first.jwt_secret != second.jwt_secret
        assert first.session_secrets[0] != second.session_secrets[0]


# --- secrets never show themselves -------------------------------------------------------
class TestSecretIsMasked:
    def test_repr_and_str_are_masked(self):
        secret = Secret(JWT_VALUE)
        assert repr(secret) == "Secret('**********')"
        assert str(secret) == "Secret('**********')"
        assert f"{secret}" == "Secret('**********')"

    def test_reveal_gives_the_raw_bytes(self):
        assert Secret(JWT_VALUE).reveal() == JWT_VALUE.encode()
        assert Secret(JWT_VALUE.encode()).reveal() == JWT_VALUE.encode()

    def test_a_settings_repr_contains_no_secret_value(self):
        settings = settings_with(jwt_secret=Secret(JWT_VALUE),
                                 session_secrets=(Secret(SESSION_A), Secret(SESSION_B)))
        text = repr(settings) + str(settings)
        for value in (JWT_VALUE, SESSION_A, SESSION_B):
            assert value not in text
        assert "Secret('**********')" in text

    def test_secrets_compare_by_value(self):
        assert Secret(JWT_VALUE) == Secret(JWT_VALUE.encode())
        assert Secret(JWT_VALUE) != Secret(SESSION_A)
        assert Secret(JWT_VALUE) != JWT_VALUE


# --- from_env ---------------------------------------------------------------------------------
class TestFromEnvironment:
    def test_reads_the_jwt_secret_the_session_secret_list_and_the_redis_url(self, caplog):
        env = {"AUTHDEMO_JWT_SECRET": JWT_VALUE,
               "AUTHDEMO_SESSION_SECRETS": f"{SESSION_A},{SESSION_B}",
               "AUTHDEMO_REDIS_URL": "redis://127.0.0.1:6390/2"}
        with caplog.at_level(logging.WARNING, logger="authdemo"):
            settings = Settings.from_env(env)
        assert settings.jwt_secret == Secret(JWT_VALUE)
        assert settings.session_secrets == (Secret(SESSION_A), Secret(SESSION_B))
        assert settings.redis_url == "redis://127.0.0.1:6390/2"
        assert caplog.records == []

    def test_empty_items_in_the_session_secret_list_are_ignored(self):
        env = {"AUTHDEMO_JWT_SECRET": JWT_VALUE, "AUTHDEMO_SESSION_SECRETS": f",{SESSION_A},,"}
        assert Settings.from_env(env).session_secrets == (Secret(SESSION_A),)

    def test_missing_secrets_are_generated_with_a_warning_each(self, caplog):
        with caplog.at_level(logging.WARNING, logger="authdemo"):
            settings = Settings.from_env({})
        messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert messages == [
            "AUTHDEMO_JWT_SECRET is not set: using a random per-process secret",
            "AUTHDEMO_SESSION_SECRETS is not set: using a random per-process secret",
        ]
        assert len(settings.jwt_secret) >= MIN_SECRET_BYTES
        assert settings.redis_url is None

    def test_a_short_secret_from_the_environment_is_refused(self):
        with pytest.raises(ValueError, match="jwt_secret is 15 bytes"):
            Settings.from_env({"AUTHDEMO_JWT_SECRET": "your_secret_key",
                               "AUTHDEMO_SESSION_SECRETS": SESSION_A})

    def test_no_log_line_contains_a_secret_value(self, caplog):
        with caplog.at_level(logging.DEBUG):
            Settings.from_env({"AUTHDEMO_JWT_SECRET": JWT_VALUE})
        assert JWT_VALUE not in caplog.text


# --- cookie rules and other validation ---------------------------------------------------------
class TestCookieAndLifetimeRules:
    def test_same_site_none_without_secure_is_refused(self):
        with pytest.raises(ValueError, match="SameSite=None cookies must be Secure"):
            settings_with(cookie_same_site="none", cookie_secure=False)

    @pytest.mark.parametrize("secure", [True, "auto"])
    def test_same_site_none_with_secure_or_auto_is_accepted(self, secure):
        settings = settings_with(cookie_same_site="none", cookie_secure=secure)
        assert settings.cookie_same_site == "none"

    def test_an_unknown_same_site_value_is_refused(self):
        with pytest.raises(ValueError, match="cookie_same_site must be"):
            settings_with(cookie_same_site="sometimes")

    @pytest.mark.parametrize("name", ["access_token_ttl_seconds", "refresh_token_ttl_seconds",
                                      "session_idle_timeout_seconds"])
    def test_a_lifetime_of_zero_is_refused(self, name):
        with pytest.raises(ValueError, match=f"{name} must be positive"):
            settings_with(**{name: 0})

    def test_the_defaults_are_the_secure_ones(self):
        settings = settings_with()
        assert (settings.jwt_algorithm, settings.cookie_same_site, settings.cookie_secure) == (
            "HS256", "lax", "auto")
        assert settings.access_token_ttl_seconds == 15 * 60
        assert settings.session_absolute_timeout_seconds == 8 * 60 * 60
        assert settings.jwt_leeway_seconds == 5


class TestReplace:
    def test_replace_returns_a_changed_copy_and_leaves_the_original_alone(self):
        original = settings_with()
        changed = original.replace(access_token_ttl_seconds=60, jwt_issuer="other")
        assert (changed.access_token_ttl_seconds, changed.jwt_issuer) == (60, "other")
        assert (original.access_token_ttl_seconds, original.jwt_issuer) == (900, "authdemo")
        assert changed.jwt_secret == original.jwt_secret

    def test_replace_validates_like_the_constructor(self):
        with pytest.raises(ValueError, match="SameSite=None"):
            settings_with().replace(cookie_same_site="none", cookie_secure=False)

    def test_settings_are_immutable(self):
        settings = settings_with()
        with pytest.raises(AttributeError):
            settings.jwt_issuer = "changed"  # type: ignore[misc]
