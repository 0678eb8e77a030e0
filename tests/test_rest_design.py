"""A REST service with no writer of its own gets a resource: creates made once by an
idempotency key, keyset pages, a per-client rate limit (issue 20, review io-bound-api 1 and 2:
retries promised for "writes that carry an idempotency key" while no key was built, and no
endpoints, schema, indexes or pagination)."""

from __future__ import annotations

import re

import pytest

from pyt_arch_kit import Architect, Requirements, plan, preset
from pyt_arch_kit.design import main_text
from pyt_arch_kit.presets import preset_names
from pyt_arch_kit.writer import write_design
from pyt_arch_kit.writer.code import profile
from pyt_arch_kit.writer.rest import resource_guideline
from tests.verify.harness import blocks


def _items(text: str) -> str:
    return next(b.code for b in blocks(text) if b.path == "app/items.py")


def test_the_api_builds_the_idempotency_key_its_retries_rely_on() -> None:
    d = Architect().design(preset("io-bound-api"))
    code = _items(d.text)
    schema = code[code.index("idempotency_keys (") : code.index("PRIMARY KEY (client_id")]
    for column in ("client_id", "idem_key", "fingerprint", "status", "response", "created_at"):
        assert column in schema, column
    assert "expires_at" in schema
    # the key's row commits with the item, and its primary key decides concurrent duplicates
    create = code[code.index("def create(") : code.index("def get(")]
    assert create.index("INSERT INTO items") < create.index("CLAIM") < create.index("commit()")
    assert "ON CONFLICT (client_id, idem_key) DO UPDATE" in code
    assert "WHERE idempotency_keys.expires_at <= now()" in code  # only an expired key is taken
    assert "raise KeyReused" in create and "HTTPException(422" in code
    assert "replayed=True" in create


def test_the_api_has_endpoints_a_schema_with_its_indexes_and_keyset_pages() -> None:
    d = Architect().design(preset("io-bound-api"))
    code = _items(d.text)
    for route in (
        '@router.post("/items"',
        '@router.get("/items/{item_id}")',
        '@router.get("/items")',
    ):
        assert route in code, route
    assert "app.include_router(router)" in d.text  # app/main.py serves them
    assert "ON items (client_id, created_at, id)" in code
    assert "(created_at, id) < (:t, :i)" in code and "ORDER BY created_at DESC, id DESC" in code
    assert "OFFSET" not in code.upper().replace("NEVER OFFSET", "")
    guide = d.section("Implementation Guidelines")
    assert "Idempotency-Key" in guide and "422" in guide and "never `OFFSET`" in guide
    rate = next(ln for ln in guide.splitlines() if "rate-limits per client" in ln)
    assert "gateway" in rate and "X-Client-Id" in rate and "Redis token bucket only if" in rate
    assert "5,184,000 rows" in guide  # 600 req/s × 10 % writes × 24 h of keys


def test_the_resource_text_is_short_and_says_nothing_preset_specific() -> None:
    lines = resource_guideline(plan(preset("io-bound-api")))
    words = len(" ".join(lines).split())
    assert 0 < words <= 350, words
    assert "order" not in " ".join(lines).lower()  # the resource is named from nothing preset
    text = main_text(Architect().design(preset("io-bound-api")).text)
    assert len(text.split()) <= 2_500


@pytest.mark.parametrize("name", preset_names())
def test_only_a_rest_service_without_its_own_writer_gets_the_resource(name: str) -> None:
    """Time series upsert on their natural key, the ledger has its own keys, a model and an
    approval workflow are their own domain: no second mechanism for one concern."""
    p = plan(preset(name))
    assert profile(p).resource == (name == "io-bound-api")
    assert ("app/items.py" in write_design(p)) == (name == "io-bound-api")


def _rest(**scale: float) -> Requirements:
    return Requirements.model_validate(
        {
            "name": "any-api",
            "interface": "rest",
            "scale": {"peak_rps": 300, **scale},
            "infrastructure": {"database": "postgresql"},
        }
    )


def test_the_rule_is_the_workload_not_the_preset() -> None:
    assert profile(plan(_rest(read_ratio=0.7))).resource
    assert not profile(plan(_rest(read_ratio=1.0))).resource  # nothing written, nothing keyed
    sync = plan(
        Requirements.model_validate(
            {
                **_rest(read_ratio=0.7).model_dump(exclude_none=True),
                "infrastructure": {"database": "postgresql", "must_use": ["Flask"]},
                "workload": {"cpu_ms_per_request": 5, "io_wait_ms_per_request": 20},
            }
        )
    )
    code = _items(write_design(sync))
    assert not profile(sync).is_async and "def create(" in code and "async " not in code
    assert "APIRouter" not in code  # routes are FastAPI's; Flask's are the team's
    assert re.search(r"Keys live 24 h: about [\d,]+ rows", write_design(sync))
