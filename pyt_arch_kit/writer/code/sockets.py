"""The WebSocket service's own code: authentication before accept, per-socket backpressure,
Redis pub/sub fan-out that resubscribes, a snapshot route behind a per-channel cache with one
refill at a time, readiness, and a drain on SIGTERM."""

from __future__ import annotations

from pyt_arch_kit.planning.model import Plan, fmt_number
from pyt_arch_kit.writer.code._template import fill
from pyt_arch_kit.writer.code.profile import profile

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
      bus's own client (settings.pubsub_url@own@), carries each message
      to every worker; the worker enqueues it for its own sockets. Pub/sub is at-most-once:
      after the subscription drops (a failover, a killed connection) the worker resubscribes
      and sends its sockets RESYNC, on which clients fetch a snapshot, as after a reconnect.
    * Snapshots: a client fetches its channel's state on every (re)connect and RESYNC, so a
      reconnect storm asks for the same few channels thousands of times a second. Each worker
      answers from a per-channel cache (settings.snapshot_ttl_s old at most), and while one
      refill of a channel runs, every other request for it awaits that one query.
    * Drain: on SIGTERM (a deploy, a scale-in) /readyz answers 503 and the worker refuses new
      sockets, closes its own with 1012 (service restart) evenly over settings.ws_drain_s,
      then hands the signal to the server, which would have closed them all at once.
    """

    import asyncio
    import contextlib
    import hashlib
    import hmac
    import random
    import signal
    import time
    from collections.abc import Awaitable, Callable

    from fastapi import APIRouter, Request, Response, WebSocket, WebSocketDisconnect
    @mongo_import@
    from redis.asyncio import Redis
    from redis.exceptions import RedisError
    @sql_imports@

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
        """One client's queue, and the code to close it with once the worker lets it go."""

        def __init__(self) -> None:
            self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=settings.ws_queue_max)
            self.code = 1013  # fell too far behind; 1012 when a drain closes it
            self.closing = asyncio.Event()

        def close(self, code: int) -> None:
            self.code = code
            self.closing.set()


    _channels: dict[str, set[Socket]] = {}
    _draining = asyncio.Event()
    _tasks: set[asyncio.Task[None]] = set()  # the drain, referenced while it runs


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
                sock.close(1013)
        return queued


    async def publish(bus: Redis, channel: str, message: str) -> None:
        """Send ``message`` to every socket on ``channel``, on every worker and instance."""
        await bus.publish(PREFIX + channel, message)


    async def drain(seconds: float) -> None:
        """Close this worker's sockets with 1012 evenly over ``seconds``, refusing new ones:
        even clients that reconnect without waiting arrive spread out."""
        _draining.set()
        sockets = [sock for members in _channels.values() for sock in members]
        batches = max(1, min(len(sockets), round(seconds * 10)))  # at most one per 0.1 s
        for batch in range(batches):
            for sock in sockets[batch::batches]:
                sock.close(1012)
            await asyncio.sleep(seconds / batches)


    _snapshots: dict[str, tuple[float, str | None]] = {}  # channel → (loaded at, state)
    _refills: dict[str, asyncio.Task[str | None]] = {}  # channel → its one query in flight


    async def _refill(channel: str, load: Callable[[str], Awaitable[str | None]]) -> str | None:
        try:
            state = await load(channel)
            if len(_snapshots) > 10_000:  # channels come and go: bound the cache
                _snapshots.clear()
            _snapshots[channel] = (time.monotonic(), state)
            return state
        finally:
            del _refills[channel]


    async def snapshot(channel: str, load: Callable[[str], Awaitable[str | None]]) -> str | None:
        """``channel``'s state, at most settings.snapshot_ttl_s old (None if it has none):
        ``load`` runs once per channel and TTL in this worker, however many ask meanwhile."""
        cached = _snapshots.get(channel)
        if cached is not None and time.monotonic() - cached[0] < settings.snapshot_ttl_s:
            return cached[1]
        if channel not in _refills:
            _refills[channel] = asyncio.create_task(_refill(channel, load))
        # shielded: a caller that gives up does not cancel the query the others await
        return await asyncio.shield(_refills[channel])


    @load@


    @router.get("/snapshot/{channel}")
    async def channel_snapshot(channel: str, token: str, request: Request) -> Response:
        """The state a client starts from after it (re)connects or is told to RESYNC."""
        if user_of(token) is None:
            return Response(status_code=401)
        try:
            state = await asyncio.wait_for(
                snapshot(channel, lambda c: _load(request, c)), settings.request_deadline_s
            )
        except (TimeoutError, @load_errors@):
            return Response(status_code=503, headers={"Retry-After": "1"})
        if state is None:
            return Response(status_code=404)
        return Response(state, media_type="application/json")


    @router.get("/readyz")
    async def readyz() -> Response:
        """Readiness, the balancer's health check: 503 from SIGTERM on, so no new handshake
        goes to a worker that refuses them (/healthz, liveness, stays 200)."""
        return Response(status_code=503 if _draining.is_set() else 200)


    def drain_on_sigterm() -> None:
        """On SIGTERM, drain over settings.ws_drain_s, then pass the signal on to the server
        (uvicorn's handler, under gunicorn too)."""
        loop = asyncio.get_running_loop()
        server_handler = signal.getsignal(signal.SIGTERM)

        async def drain_then_stop() -> None:
            await drain(settings.ws_drain_s)
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, server_handler)
            signal.raise_signal(signal.SIGTERM)

        def start() -> None:
            if not _draining.is_set():
                _draining.set()
                task = loop.create_task(drain_then_stop())
                _tasks.add(task)
                task.add_done_callback(_tasks.discard)

        loop.add_signal_handler(signal.SIGTERM, start)


    async def listen(bus: Redis) -> None:
        """The worker's one subscription, and its drain on SIGTERM: run it as a task for the
        worker's lifetime."""
        with contextlib.suppress(RuntimeError):  # signals reach the main thread only
            drain_on_sigterm()
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
        if _draining.is_set():  # shutting down: the client reconnects to another worker
            await ws.close(code=1012)
            return
        if user_of(ws.query_params.get("token")) is None:
            await ws.close(code=1008)  # before accept(): the handshake is refused
            return
        await ws.accept()  # check here too that the user may read ``channel``
        sock = Socket()
        _channels.setdefault(channel, set()).add(sock)
        tasks = {
            asyncio.create_task(_send(ws, sock)),
            asyncio.create_task(_receive(ws)),
            asyncio.create_task(sock.closing.wait()),
        }
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            _channels.get(channel, set()).discard(sock)
        if sock.closing.is_set():  # 1013 or 1012: the client reconnects and resyncs
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(code=sock.code), settings.ws_send_timeout_s)
'''


#: How ``_load`` reads a channel's state, per store: (code, the store's errors).
_SQL_LOAD = '''
    async def _load(request: Request, channel: str) -> str | None:
        """The channel's state, which its publisher upserts before it publishes:
        CREATE TABLE channel_state (channel text PRIMARY KEY, body text NOT NULL)."""
        async with request.app.state.sessions() as session:
            found = await session.execute(
                text("SELECT body FROM channel_state WHERE channel = :channel"),
                {"channel": channel},
            )
            body = found.scalar_one_or_none()
            return None if body is None else str(body)
'''

_MONGO_LOAD = '''
    async def _load(request: Request, channel: str) -> str | None:
        """The channel's state, which its publisher upserts before it publishes: the
        channel_state document {_id: channel, body: "…"}."""
        states = request.app.state.db.get_default_database()["channel_state"]
        found = await states.find_one({"_id": channel})
        return None if found is None else str(found["body"])
'''

_REDIS_LOAD = '''
    async def _load(request: Request, channel: str) -> str | None:
        """The channel's state, which its publisher sets before it publishes: the key
        "state:" + channel, on the bus's Redis."""
        state = await request.app.state.bus.get("state:" + channel)
        return None if state is None else bytes(state).decode()
'''


def websocket_module(plan: Plan) -> str:
    """``app/ws.py``: the WebSocket route, its per-socket queues, the pub/sub listener, the
    cached snapshot route and readiness."""
    try:
        per_worker = fmt_number(plan.figure("sockets_per_worker").value)
    except KeyError:
        per_worker = "all of its"
    p = profile(plan)
    own = ", never the cache's client" if p.cache == "redis" else ""
    mongo = sql = "@drop@"
    if p.dialect == "mongodb":
        load, errors = _MONGO_LOAD, "PyMongoError"
        mongo = "from pymongo.errors import PyMongoError"
    elif p.dialect in ("postgresql", "mysql"):
        load, errors = _SQL_LOAD, "SQLAlchemyError"
        sql = "from sqlalchemy import text\nfrom sqlalchemy.exc import SQLAlchemyError"
    else:  # Redis as the store, or no store: the state is a key on the bus's Redis
        load, errors = _REDIS_LOAD, "RedisError"
    return fill(
        _WS,
        per_worker=per_worker,
        own=own,
        load=fill(load).rstrip("\n"),
        load_errors=errors,
        mongo_import=mongo,
        sql_imports=sql,
    )
