"""A REST resource service's own guideline: its endpoints, the idempotency key that makes its
creates safe to retry, keyset pages, and where the per-client rate limit lives."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyt_arch_kit.planning.model import fmt_number
from pyt_arch_kit.writer.code.profile import profile
from pyt_arch_kit.writer.code.rest import KEY_TTL_H, PAGE_MAX

if TYPE_CHECKING:
    from pyt_arch_kit.planning.model import Plan

__all__ = ["resource_guideline"]


def resource_guideline(plan: Plan) -> list[str]:
    """The endpoints of ``app/items.py`` and the numbers of its key table ([] unless the plan's
    code has the resource)."""
    if not profile(plan).resource:
        return []
    s = plan.resolved.scale
    keys = s.avg_rps * (1 - s.read_ratio) * 3600 * KEY_TTL_H
    held = keys * s.payload_kb / 1e6
    return [
        "### The resource",
        "",
        "`app/items.py` is the resource: rename `items` and its `data` column to your domain's.",
        "",
        "- `POST /items` takes an `Idempotency-Key` header (a UUID the client makes per new "
        "item; 400 without one) and answers 201. The item and the key's row (client, key, body "
        "fingerprint, status and response, creation and expiry) commit in one transaction. A "
        "retry with the key and the same body gets the stored response; with another body, 422 "
        "([Stripe's semantics](https://docs.stripe.com/api/idempotent_requests)). Of concurrent "
        "duplicates one inserts the key; the others wait on its primary key, roll their item "
        "back and replay. So a client, or `with_retries(..., idempotent=True)`, may retry a "
        "create.",
        f"- Keys live {KEY_TTL_H} h: about {fmt_number(round(keys, -3))} rows at the "
        f"{fmt_number(s.avg_rps)} req/s average, up to {fmt_number(round(held, 1))} GB with "
        "their responses; `purge_expired()` runs hourly.",
        "- `GET /items/{id}`: the primary key; another client's item is a 404.",
        f"- `GET /items?limit=50&cursor=…` (at most {PAGE_MAX}): newest first, a keyset on "
        "`(created_at, id)` over the index `(client_id, created_at, id)`, never `OFFSET`: "
        "page 1,000 costs what page 1 does, and rows created while a client pages neither "
        "repeat nor skip one.",
        "- The API gateway (or load balancer) authenticates the API key, sets `X-Client-Id` "
        "(the scope of keys and items; a client's own is dropped) and rate-limits per client: "
        "429 with `Retry-After`. A Redis token bucket only if the limit must hold across "
        "instances and the gateway cannot.",
        "",
    ]
