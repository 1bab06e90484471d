"""Running the ASGI server (uvicorn) with an in-process sweeper for the embedded install."""

import logging
import threading

import uvicorn
from django.db import close_old_connections

log = logging.getLogger(__name__)


def start_sweeper(every_seconds: int = 60) -> threading.Event:
    """Run every app's sweep (expired holds, pay links, unpaid orders, uncollected pickups) every
    minute in a daemon thread (the scale-out setup runs `omnipresence sweep --every 60` as its
    own process instead)."""
    from omnipresence.core.hooks import run_sweeps

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_seconds):
            try:
                close_old_connections()
                run_sweeps()
            except Exception:
                log.exception("sweep failed")
            finally:
                close_old_connections()

    threading.Thread(target=loop, name="sweeper", daemon=True).start()
    return stop


def serve(*, host: str, port: int, workers: int = 1, sweeper: bool = True, log_level: str = "warning") -> None:
    if sweeper:
        start_sweeper()
    uvicorn.run(
        "omnipresence.asgi:application",
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=True,
        lifespan="off",
        ws="websockets",
        http="httptools",
    )
