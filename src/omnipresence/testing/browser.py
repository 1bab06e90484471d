"""Browser tests: Debian's chromium driven by Playwright against the real ASGI application.

`asgi_live_server` serves `omnipresence.asgi:application` (HTTP and websockets) with uvicorn in a
thread of the test process, on the test database (pytest-django's `transactional_db`; on SQLite
the test database is a file, on PostgreSQL `test_<name>`), so the page, the console and the
websocket consumer share one in-memory channel layer and one database.

Import the fixtures in a conftest.py: `from omnipresence.testing.browser import *  # noqa: F403`.
Without chromium the tests skip, except under CI=true, where they fail.
"""

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

CHROMIUM = os.environ.get("OMNIPRESENCE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT_DIR = os.environ.get("OMNIPRESENCE_SCREENSHOTS", "")

__all__ = [
    "DESKTOP", "PHONE", "asgi_live_server", "browser_type_launch_args", "chromium_executable",
    "login_context", "screenshot",
]  # fmt: skip


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _missing(reason: str):
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    path = CHROMIUM if os.path.isabs(CHROMIUM) else shutil.which(CHROMIUM)
    if not path or not os.access(path, os.X_OK):
        _missing(f"No chromium at {CHROMIUM}: apt-get install -y chromium (or set OMNIPRESENCE_CHROMIUM)")
    # Playwright's sync API keeps an event loop running in this thread; the test's own ORM calls
    # (fixtures, assertions) are synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_executable) -> dict:
    """pytest-playwright's launch options: Debian's chromium with the flags it needs here."""
    return {"executable_path": chromium_executable, "args": LAUNCH_ARGS, "headless": True}


@dataclass
class LiveServer:
    url: str
    host: str
    port: int

    def __str__(self) -> str:
        return self.url


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _close_worker_connections() -> None:
    """Close the database connections Django opened in asgiref's sync worker thread, so the test
    database can be flushed and dropped."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    try:
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=5)
    except Exception:  # noqa: S110 - best effort; the thread may already be gone
        pass


@pytest.fixture
def asgi_live_server(transactional_db, settings, chromium_executable) -> Iterator[LiveServer]:
    import uvicorn
    from channels.layers import channel_layers
    from django.db import connections

    # Plain static storage: the server must find scripts by their plain names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    # Connections opened by the server's threads close after each request, or the test database
    # could not be flushed / dropped at the end.
    db_settings = connections.settings["default"]
    previous_max_age = db_settings.get("CONN_MAX_AGE", 0)
    db_settings["CONN_MAX_AGE"] = 0
    # A fresh in-memory channel layer bound to the server's event loop.
    channel_layers.backends.clear()

    from omnipresence.asgi import application

    host = "127.0.0.1"
    port = _free_port(host)
    config = uvicorn.Config(application, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The ASGI test server did not start.")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"http://{host}:{port}", host=host, port=port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        _close_worker_connections()
        channel_layers.backends.clear()
        db_settings["CONN_MAX_AGE"] = previous_max_age


def login_context(browser, server: LiveServer, user, **context_args):
    """A browser context already logged in as `user` (a session made by Django's test client)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    context = browser.new_context(**context_args)
    context.add_cookies([
        {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url},
    ])  # fmt: skip
    return context


def screenshot(page, name: str) -> None:
    """Save a full-page screenshot when OMNIPRESENCE_SCREENSHOTS names a folder (never the repo)."""
    if not SCREENSHOT_DIR:
        return
    os.makedirs(SCREENSHOT_DIR, exist_ok=True)
    page.screenshot(path=os.path.join(SCREENSHOT_DIR, f"{name}.png"), full_page=True)
