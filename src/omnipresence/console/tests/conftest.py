import pytest

from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser tests


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Staff are made with passwords; the default hasher's 1M iterations dominate these tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
