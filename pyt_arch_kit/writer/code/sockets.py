"""The WebSocket service's own code: authentication before accept, per-socket backpressure,
Redis pub/sub fan-out that resubscribes."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.writer.code._template import fill

__all__ = ["websocket_module"]

_WS = '''
    # app/ws.py
    """Live updates over WebSockets: one hub per worker process (@per_worker@ sockets each
    after a zone loss).

    * Authentication before the handshake completes: a socket presents a short-lived ticket
      (``?token=``, signed with settings.ws_token_secret, handed out by the HTTP API after its
      own login); without a valid one it is closed with 1008 (policy violation) before
      ``accept()``, so the client sees its handshake refused (HTTP 403).
    * Backpressure per socket: a broadcast only enqueues (put_nowait, O(1) per socket); each
      socket's own sender task writes its queue out. A socket whose queue is full is a slow
      consumer: it is closed with 1013 (try again later) and its client reconnects and
      resynchronises, instead of the worker buffering for it without bound.
    * Fan-out: one Redis pub/sub subscription per worker process (not per socket), on the
      bus's own client (settings.pubsub_url, never the cache's client), carries each message
      to every worker; the worker enqueues it for its own sockets. Pub/sub is at-most-once:
      after the subscription drops (a failover, a killed connection) the worker resubscribes
      and sends its sockets RESYNC, on which clients fetch a snapshot, as after a reconnect.
    """

    import asyncio
    import contextlib
    import hashlib
    import hmac
    import random
    import time

    from fastapi import APIRouter, WebSocket, WebSocketDisconnect
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    from app.settings import settings

    PREFIX = "live:"  # Redis channel = PREFIX + the channel clients subscribe to
    RESYNC = '{"type": "resync"}'  # messages may have been lost: fetch a snapshot
    router = APIRouter()


    def _sign(payload: str) -> str:
        key = settings.ws_token_secret.get_secret_value().encode()
        return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


    def ticket(user: str, ttl_s: float = 60) -> str:
        """A socket ticket for ``user``, valid ``ttl_s`` seconds: the HTTP API issues it."""
        payload = f"{user}.{int(time.time() + ttl_s)}"
        return f"{payload}.{_sign(payload)}"


    def user_of(token: str | None) -> str | None:
        """The user a ticket names, or None when it is missing, forged or expired."""
        user, _, rest = (token or "").rpartition(".")
        user, _, expires = user.rpartition(".")
        if not (user and expires.isdigit()) or int(expires) < time.time():
            return None
        return user if hmac.compare_digest(rest, _sign(f"{user}.{expires}")) else None


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


    async def publish(bus: Redis, channel: str, message: str) -> None:
        """Send ``message`` to every socket on ``channel``, on every worker and instance."""
        await bus.publish(PREFIX + channel, message)


    async def listen(bus: Redis) -> None:
        """The worker's one subscription: run it as a task for the worker's lifetime."""
        dropped = False
        while True:
            try:
                async with bus.pubsub() as pubsub:
                    await pubsub.psubscribe(PREFIX + "*")
                    if dropped:  # what was published meanwhile is lost: clients resync
                        for channel in list(_channels):
                            deliver(channel, RESYNC)
                    async for event in pubsub.listen():
                        if event["type"] == "pmessage":
                            channel = event["channel"].decode().removeprefix(PREFIX)
                            deliver(channel, event["data"].decode())
            except (RedisError, OSError):
                dropped = True
                await asyncio.sleep(random.uniform(0.1, 1.0))  # jittered: workers spread out


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
        if user_of(ws.query_params.get("token")) is None:
            await ws.close(code=1008)  # before accept(): the handshake is refused
            return
        await ws.accept()  # check here too that the user may read ``channel``
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
