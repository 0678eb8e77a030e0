"""The version ranges a design's Technology Stack hands out, with the date they were checked.

Each range admits the newest release that PyPI served on :data:`CHECKED` (listed in
:data:`NEWEST`). ``python scripts/check_pins.py`` re-checks this against the package index: it
fails when a range excludes a newer release or a design's rows do not install together; update
both tables (and the date) when it does.
"""

from __future__ import annotations

__all__ = ["CHECKED", "NEWEST", "RANGES"]

#: The day every range below was checked against the newest release on PyPI.
CHECKED = "2026-11-26"

#: PyPI name (as the stack prints it, extras included) → the range a design recommends.
RANGES: dict[str, str] = {
    "pydantic": ">=2.7,<3",
    "pydantic-settings": ">=2.3,<3",
    "fastapi": ">=0.115,<1",
    "strawberry-graphql": ">=0.240",
    "flask": ">=3.0,<4",
    "django": ">=5.1,<7",
    "uvicorn": ">=0.30,<1",
    "uvicorn-worker": ">=0.2,<1",
    "websockets": ">=13,<18",
    "gunicorn": ">=23,<28",
    "grpcio": ">=1.66,<2",
    "grpcio-health-checking": ">=1.66,<2",
    "grpcio-tools": ">=1.66,<2",
    "SQLAlchemy": ">=2.0.30,<3",
    "SQLAlchemy[asyncio]": ">=2.0.30,<3",
    "asyncpg": ">=0.29,<1",
    "psycopg[binary]": ">=3.2,<4",
    "asyncmy": ">=0.2.9,<1",
    "PyMySQL": ">=1.1,<2",
    "pymongo": ">=4.13,<5",
    "alembic": ">=1.13,<2",
    "redis": ">=5.0.1,<9",  # Redis.from_pool
    "cachetools": ">=5.3,<9",
    "confluent-kafka": ">=2.5,<3",
    "aiokafka": ">=0.11,<1",
    "pulsar-client": ">=3.5,<4",
    "pika": ">=1.3,<2",
    "aio-pika": ">=9.4,<11",
    "boto3": ">=1.34,<2",
    "aioboto3": ">=13",
    "pandas": ">=2.2,<4",
    "polars": ">=1.0,<3",
    "dask[dataframe,distributed]": ">=2024.8",
    "pyspark": ">=3.5,<5",
    "pyarrow": ">=17",
    "httpx": ">=0.27,<1",
    "opentelemetry-sdk": ">=1.27,<2",
    "structlog": ">=24.4",
    "pytest": ">=8.3,<10",
    "hypothesis": ">=6.100,<7",
    "locust": ">=2.31,<3",
}

#: The newest release of each package on :data:`CHECKED` (by its PyPI name, without extras).
NEWEST: dict[str, str] = {
    "pydantic": "2.14.4",
    "pydantic-settings": "2.16.3",
    "fastapi": "0.165.0",
    "strawberry-graphql": "0.341.2",
    "flask": "3.1.3",
    "django": "6.1.3",
    "uvicorn": "0.54.0",
    "uvicorn-worker": "0.4.0",
    "websockets": "17.4",
    "gunicorn": "27.0.1",
    "grpcio": "1.85.3",
    "grpcio-health-checking": "1.85.1",
    "grpcio-tools": "1.85.1",
    "SQLAlchemy": "2.1.9",
    "asyncpg": "0.32.0",
    "psycopg": "3.3.9",
    "asyncmy": "0.2.18",
    "PyMySQL": "1.2.4",
    "pymongo": "4.20.1",
    "alembic": "1.20.1",
    "redis": "8.1.0",
    "cachetools": "8.0.2",
    "confluent-kafka": "2.16.1",
    "aiokafka": "0.14.0",
    "pulsar-client": "3.13.0",
    "pika": "1.4.4",
    "aio-pika": "10.2.1",
    "boto3": "1.44.8",
    "aioboto3": "15.5.0",
    "pandas": "3.1.1",
    "polars": "2.1.0",
    "dask": "2026.8.0",
    "pyspark": "4.3.0",
    "pyarrow": "26.0.1",
    "httpx": "0.28.1",
    "opentelemetry-sdk": "1.45.2",
    "structlog": "26.1.0",
    "pytest": "9.2.0",
    "hypothesis": "6.170.17",
    "locust": "2.47.0",
}
