"""The in-memory channel layer of a single process (the embedded install, tests), with a group send
that holds for groups of 1,000+ sockets (a busy shop's team, a live event).

channels' InMemoryChannelLayer sweeps every queued channel for expired messages on each receive and
each group send, sends to a group with one task per member, and deep-copies the message for each:
all of it grows with the group, so one event to 1,000 members cost ~1 s of CPU and the fan-out
stalled (bench/inbox_fanout.py). Here the sweep runs at most once a second, a group send fills the
members' queues in one pass, and the copies are unpickled from one pickle (each member still gets
its own copy).

A socket more than `capacity` messages behind misses the next ones (channels' rule). channels'
default of 100 dropped events for the slower of 1,000 sockets in a burst of 150, so the default
here is 1,000 (a lagging socket holds at most that many events in memory). As in channels, a
member whose oldest queued message is `expiry` (60 s) old leaves its groups.
"""

import asyncio
import pickle
import time
from copy import deepcopy

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer


def _copier(message: dict):
    """A function that returns a fresh copy of `message`: unpickled from one pickle (~4x faster than
    a deep copy each), or deep-copied when it does not pickle."""
    try:
        frozen = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return lambda: deepcopy(message)
    return lambda: pickle.loads(frozen)  # our own bytes, made just above


class InMemoryChannelLayer(ChannelsInMemoryChannelLayer):
    sweep_interval = 1.0  # seconds between two sweeps for expired messages

    def __init__(self, capacity=1000, **kwargs):
        super().__init__(capacity=capacity, **kwargs)
        self._swept_at = float("-inf")

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._swept_at >= self.sweep_interval:
            self._swept_at = now
            super()._clean_expired()

    async def receive(self, channel):
        self._home = asyncio.get_running_loop()  # the sockets' loop (one per server process)
        return await super().receive(channel)

    async def group_send(self, group, message):
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        members = list(self.groups.get(group, ()))
        if members:
            copy = _copier(message)
            expires = time.time() + self.expiry
            home = getattr(self, "_home", None)
            if home is not None and home is not asyncio.get_running_loop() and home.is_running():
                # Sent from another thread's loop (a task thread, a sync caller): asyncio queues are
                # not thread-safe, so the sockets' own loop fills them, and wakes up to do it.
                home.call_soon_threadsafe(self._fill, members, copy, expires)
            else:
                self._fill(members, copy, expires)
        await asyncio.sleep(0)  # let the members run before the next send, as channels' tasks did

    def _fill(self, members, copy, expires):
        for channel in members:
            queue = self.channels.setdefault(channel, asyncio.Queue(maxsize=self.get_capacity(channel)))
            try:
                queue.put_nowait((expires, copy()))
            except asyncio.QueueFull:
                pass  # as channels' layer: a member `capacity` messages behind misses this one
