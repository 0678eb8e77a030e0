"""The WebSocket service's own code: the route, per-socket backpressure, Redis pub/sub fan-out."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.writer.code._template import fill

__all__ = ["websocket_module"]

_WS = '''
    # app/ws.py
    """Live updates over WebSockets: one hub per worker process (@per_worker@ sockets each
    after a zone loss).

    * Backpressure per socket: a broadcast only enqueues (put_nowait, O(1) per socket); each
      socket's own sender task writes its queue out. A socket whose queue is full is a slow
      consumer: it is closed with 1013 (try again later) and its client reconnects and
      resynchronises, instead of the worker buffering for it without bound.
    * Fan-out: one Redis pub/sub subscription per worker process (not per socket) carries each
      message to every worker; the worker enqueues it for its own sockets. Pub/sub is
      at-most-once: a client that reconnects reads the current state from the database.
    """

    import asyncio
    import contextlib

    from fastapi import APIRouter, WebSocket, WebSocketDisconnect
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from app.settings import settings

    PREFIX = "live:"  # Redis channel = PREFIX + the channel clients subscribe to
    router = APIRouter()


    class Socket:
        """One client's queue, and the signal that it fell too far behind."""

        def __init__(self) -> None:
            self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=settings.ws_queue_max)
            self.dropped = asyncio.Event()


    _channels: dict[str, set[Socket]] = {}


    def deliver(channel: str, message: str) -> int:
        """Enqueue ``message`` for this worker's sockets on ``channel``; the number enqueued.

        Never waits: a socket already ``ws_queue_max`` messages behind is dropped.
        """
        queued = 0
        for sock in list(_channels.get(channel, ())):
            try:
                sock.queue.put_nowait(message)
                queued += 1
            except asyncio.QueueFull:
                _channels[channel].discard(sock)
                sock.dropped.set()
        return queued


    async def publish(redis: Redis, channel: str, message: str) -> None:
        """Send ``message`` to every socket on ``channel``, on every worker and instance."""
        await redis.publish(PREFIX + channel, message)


    async def listen(redis: Redis) -> None:
        """The worker's one subscription: run it as a task for the worker's lifetime."""
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.psubscribe(PREFIX + "*")
                    async for event in pubsub.listen():
                        if event["type"] == "pmessage":
                            channel = event["channel"].decode().removeprefix(PREFIX)
                            deliver(channel, event["data"].decode())
            except RedisError:
                await asyncio.sleep(1)  # resubscribe; clients resync on their next message


    async def _send(ws: WebSocket, sock: Socket) -> None:
        while True:
            message = await sock.queue.get()
            await asyncio.wait_for(ws.send_text(message), settings.ws_send_timeout_s)


    async def _receive(ws: WebSocket) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:  # reading notices the client closing; clients only listen here
                await ws.receive_text()


    @router.websocket("/ws/{channel}")
    async def live(ws: WebSocket, channel: str) -> None:
        """Authenticate here (a short-lived token in the query string) before accepting."""
        await ws.accept()
        sock = Socket()
        _channels.setdefault(channel, set()).add(sock)
        tasks = {
            asyncio.create_task(_send(ws, sock)),
            asyncio.create_task(_receive(ws)),
            asyncio.create_task(sock.dropped.wait()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            _channels.get(channel, set()).discard(sock)
        if sock.dropped.is_set():  # 1013: try again later; the client reconnects and resyncs
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=1013), settings.ws_send_timeout_s)
'''


def websocket_module(plan: Plan) -> str:
    """``app/ws.py``: the WebSocket route, its per-socket queues and the pub/sub listener."""
    try:
        per_worker = fmt_number(plan.figure("sockets_per_worker").value)
    except KeyError:
        per_worker = "all of its"
    return fill(_WS, per_worker=per_worker)
