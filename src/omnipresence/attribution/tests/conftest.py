from omnipresence.testing.browser import *  # noqa: F403 - fixtures for the browser tests
