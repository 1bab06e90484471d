"""The in-memory channel layer's group send (omnipresence.core.layers): every member of a 1,200
group gets every event of a burst, in order, each its own copy; a member too far behind misses."""

import asyncio

from channels.layers import InMemoryChannelLayer as ChannelsInMemoryChannelLayer
from django.conf import settings

from omnipresence.core.layers import InMemoryChannelLayer


def run_in_thread(coroutine_function):
    """asyncio.run in a thread of its own: the browser tests leave an event loop running in this
    one (Playwright's sync API), where asyncio.run refuses to start."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine_function()).result()


def test_the_shipped_single_process_layer_is_ours():
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "omnipresence.core.layers.InMemoryChannelLayer"


def test_every_member_of_a_1200_group_gets_every_event_in_order():
    async def run():
        layer = InMemoryChannelLayer()
        channels = [await layer.new_channel() for _ in range(1200)]
        for channel in channels:
            await layer.group_add("inbox.b.1", channel)
        received = [[] for _ in channels]

        async def member(index, channel):
            while True:
                received[index].append((await layer.receive(channel))["seq"])

        tasks = [asyncio.create_task(member(i, c)) for i, c in enumerate(channels)]
        for seq in range(150):  # more than channels' default capacity of 100, back to back
            await layer.group_send("inbox.b.1", {"type": "inbox.event", "seq": seq})
        for _ in range(200):
            if all(len(r) == 150 for r in received):
                break
            await asyncio.sleep(0.01)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return received

    received = run_in_thread(run)
    assert all(r == list(range(150)) for r in received)


def test_each_member_gets_its_own_copy_and_others_are_not_sent_to():
    async def run():
        layer = InMemoryChannelLayer()
        first, second, outsider = [await layer.new_channel() for _ in range(3)]
        await layer.group_add("g", first)
        await layer.group_add("g", second)
        event = {"type": "inbox.event", "event": {"kind": "message", "tags": ["a"]}}
        await layer.group_send("g", event)
        one = await layer.receive(first)
        one["event"]["tags"].append("changed by one consumer")
        two = await layer.receive(second)
        return event, one, two, outsider in layer.channels

    event, one, two, outsider_has_queue = run_in_thread(run)
    assert two == {"type": "inbox.event", "event": {"kind": "message", "tags": ["a"]}}
    assert event["event"]["tags"] == ["a"] and one is not two
    assert not outsider_has_queue


def test_a_member_capacity_messages_behind_misses_the_next_ones():
    async def run():
        ours = InMemoryChannelLayer(capacity=3)
        channel = await ours.new_channel()
        await ours.group_add("g", channel)
        for seq in range(5):
            await ours.group_send("g", {"type": "x", "seq": seq})
        got = [(await ours.receive(channel))["seq"] for _ in range(3)]
        assert ours.channels.get(channel) is None  # nothing more queued: seq 3 and 4 were missed
        return got, InMemoryChannelLayer().capacity, ChannelsInMemoryChannelLayer().capacity

    got, our_default, channels_default = run_in_thread(run)
    assert got == [0, 1, 2]
    assert (our_default, channels_default) == (1000, 100)


def test_a_send_from_another_threads_loop_wakes_the_sockets_loop():
    """A task thread or a sync caller sends with a loop of its own; the member waits on the server's
    loop, which has nothing else to do. asyncio queues are not thread-safe: filled from the other
    thread, the waiting loop would never wake."""
    import threading
    from concurrent.futures import Future

    layer = InMemoryChannelLayer()
    got: Future = Future()
    home = asyncio.new_event_loop()
    ready = threading.Event()

    async def member():
        channel = await layer.new_channel()
        await layer.group_add("g", channel)
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0)  # receive() is now waiting on this loop
        ready.set()
        got.set_result(await receiving)

    server = threading.Thread(target=lambda: home.run_until_complete(member()))
    server.start()
    try:
        assert ready.wait(5)
        run_in_thread(lambda: layer.group_send("g", {"type": "x", "seq": 7}))
        assert got.result(timeout=5)["seq"] == 7
    finally:
        if not got.done():
            home.call_soon_threadsafe(home.stop)
        server.join(5)
        home.close()
