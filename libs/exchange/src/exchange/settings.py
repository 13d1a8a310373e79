"""Typed settings from the environment (环境配置), one object per service.

Every variable is ``ONETHING_*``. A service subclass adds its own fields and its per-service
database override (``ONETHING_<SERVICE>_DATABASE_URL``). Nothing is read at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from exchange.access.credentials import CREDENTIALS_FILE
from exchange.access.tokens import DEFAULT_AUDIENCE, DEFAULT_ISSUER
from exchange.logs import LogFormat

__all__ = ["EMBEDDED_HTTP_PORTS", "IDENTITY", "ExchangeSettings", "embedded_service_urls", "origin_of"]

# Where each process of the embedded default answers (``make run``); a service's settings take its own from here.
EMBEDDED_HTTP_PORTS = {"intake": 8101, "dispatch": 8102, "licence": 8103, "supervision": 8104, "rating": 8105,
                       "simulators": 8106, "gateway": 8107}
IDENTITY = "identity"  # 统一身份认证, named among the service URLs: where people sign in


def embedded_service_urls(host: str = "127.0.0.1", ports: dict[str, int] | None = None) -> dict[str, str]:
    """Each process's URL on ``host``; the identity platform is the simulated one, in the simulators process."""
    urls = {name: f"http://{host}:{port}" for name, port in (ports or EMBEDDED_HTTP_PORTS).items()}
    urls[IDENTITY] = urls["simulators"]
    return urls


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL (what a browser sends as ``Origin``)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ExchangeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONETHING_", extra="ignore")

    service_name: ClassVar[str] = "exchange"
    default_http_port: ClassVar[int] = 8100

    kafka_bootstrap: str = Field(
        default="127.0.0.1:9092", description="Kafka bootstrap servers, comma separated"
    )
    kafka_session_timeout_ms: int = Field(default=6000, ge=1000)
    kafka_heartbeat_interval_ms: int = Field(default=1000, ge=100)
    kafka_fetch_max_wait_ms: int = Field(
        default=100, ge=1, le=10_000, description="how long a consumer's fetch waits at the broker for records; "
        "the embedded broker answers a waiting fetch at about half of it, so it bounds the latency of each hop, "
        "and lower costs idle CPU in every consumer (docs/performance.md)")
    kafka_idle_fetch_max_wait_ms: int = Field(
        default=500, ge=1, le=10_000, description="the fetch wait of a consumer that has had no records for "
        "kafka_idle_after_s: an idle system costs the broker less; the first case after a quiet spell waits up to "
        "this once at each consumer (exchange.kafka.pace; equal to kafka_fetch_max_wait_ms: never slower)")
    kafka_idle_after_s: float = Field(
        default=30.0, ge=0.1, description="how long a consumer has had no records before it fetches at the idle wait")
    topic_partitions: int | None = Field(
        default=None, ge=1, description="override the registry's partition counts at creation"
    )
    topic_replication_factor: int = Field(default=1, ge=1, description="replicas of topics created at start-up")
    data_dir: Path = Field(default=Path(".onething"), description="embedded SQLite files, keys")
    database_url: str | None = Field(
        default=None,
        description="PostgreSQL server URL (postgresql+asyncpg://user@host:port); each service "
        "uses its own database <prefix><service> on it. Unset: one SQLite file per service.",
    )
    database_prefix: str = "onething_"
    region: str = Field(default="430100", pattern=r"^\d{6}$",
                        description="行政区划代码 of this platform; names its licence issuers")
    region_name_zh: str = Field(default="长沙市", description="region name printed before department names")
    calendar_changes: list[Path] = Field(
        default_factory=list, description="a jurisdiction's published calendar changes (JSON files), read by "
        "every service that counts working days (intake and supervision), so they count alike")
    service_database_url: str | None = None  # subclasses bind it to ONETHING_<SVC>_DATABASE_URL
    keys_dir: Path | None = Field(default=None, description="Ed25519 keys; default <data_dir>/keys")
    key_list_anchor: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{43}$",
        description="the key list's signing key, pinned: its raw Ed25519 public key in base64url (as `onething keys` "
                    "prints it); without it, public/key-list.pub in the keys folder")
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    http_max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=2**31, description="largest request body accepted (413 above it)"
    )
    http_concurrency: int = Field(
        default=32, ge=1, le=100_000, description="requests a process works on at once, each until its answer starts; "
        "the rest wait in line, in order of arrival, their bodies read but not yet checked or parsed (a spike costs "
        "waiting connections, not parsed requests); the probes, /metrics, /.well-known/ keys and status lists never "
        "wait")
    http_anonymous_rate_per_s: float = Field(
        default=50.0, gt=0, le=100_000, description="requests per second each client address may send without a "
        "token or signature (the open routes: catalogue, notices, verification, status lists); 429 beyond it")
    http_anonymous_burst: int = Field(default=200, ge=1, le=1_000_000, description="what such a client may send "
                                      "at once after being quiet")
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    traces_local: bool = Field(
        default=True, description="without an OTLP endpoint, keep spans in <data_dir>/traces/<service>.jsonl "
        "(for `onething trace CASE_ID` and the ops room; exchange.trace_store)")
    otel_traces_sampler: str | None = Field(default=None, validation_alias="OTEL_TRACES_SAMPLER")
    traces_per_second: float = Field(
        default=2.0, ge=0, le=100_000, description="new traces each process keeps a second at most (采样: a case's "
        "trace whole or not at all; the rest cost their consumers about a third of a kept span); 0 keeps every trace. "
        "OTEL_TRACES_SAMPLER, when set, decides instead")
    consumer_unexpected_retries: int = Field(
        default=3, ge=0, description="retries of a handler failing for an unexpected reason before it is "
        "dead-lettered (x-failure: unexpected); transient failures are waited out without a limit")
    dead_letter_operators: list[str] = Field(
        default_factory=lambda: ["operator"],
        description="principals (glob patterns) whose signed requests may list, read and re-drive dead letters",
    )
    consumer_batch_size: int = Field(default=200, ge=1)
    consumer_transaction_records: int = Field(
        default=100, ge=1, description="records of one poll a consumer applies in one database transaction (each "
        "still claimed in the inbox and handled in order; any failure and they are taken one by one); 1: a "
        "transaction per record")
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_ms: int = Field(default=250, ge=10)
    broker_epoch_check_ms: int = Field(
        default=2000, ge=100, description="how often the broker epoch is checked (a broker that lost its data)")
    republish_window_days: float = Field(
        default=7.0, ge=0, description="after the broker lost its data, outbox rows published this recently "
        "are sent again")
    auth_issuer: str = Field(default=DEFAULT_ISSUER, description="the ``iss`` of accepted bearer tokens: "
                             "统一身份认证 (the simulated one in the embedded default, an OIDC provider in production)")
    auth_audience: str = Field(default=DEFAULT_AUDIENCE, description="the ``aud`` accepted bearer tokens must name")
    auth_jwks_url: str | None = Field(default=None, description="the identity provider's JWKS URL; unset: tokens "
                                      "are verified with the key of principal ``identity`` in the keys dir")
    auth_clients_file: Path | None = Field(default=None, description="the development OAuth clients the simulated "
                                           "identity platform accepts; default <data_dir>/credentials.json")
    auth_token_ttl_s: int = Field(default=3600, ge=60, le=86400, description="lifetime of tokens the simulated "
                                  "identity platform issues")
    service_urls: dict[str, str] = Field(
        default_factory=embedded_service_urls,
        description="where each service of the system, and the identity platform (`identity`), answers as a browser "
        "reaches it (JSON object). Screens link and call across them, and their origins may call this service "
        "from a browser (CORS). Default: the embedded default's ports on 127.0.0.1")
    http_allowed_origins: list[str] = Field(
        default_factory=list, description="further origins whose pages may call this service from a browser "
        "(JSON list), besides those of `service_urls`")
    log_level: str = "INFO"
    log_format: LogFormat = Field(
        default="json", description="json: one JSON object per line with trace_id, case_id and the service name "
        "(for log collectors, docs/observability.md); text: plain lines for people")
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="the event loop a service runs on: uvloop (libuv, faster sockets and "
        "callbacks; docs/performance.md) or the standard library's asyncio")

    @property
    def clients_path(self) -> Path:
        return self.auth_clients_file or self.data_dir / CREDENTIALS_FILE

    @field_validator("http_allowed_origins")
    @classmethod
    def _origins_only(cls, origins: list[str]) -> list[str]:
        """Each an origin, ``http(s)://host[:port]``: never ``*`` (any page anywhere) or ``null`` (sandboxed pages)."""
        for origin in origins:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname or origin_of(origin) != origin:
                raise ValueError(f"not an origin (http(s)://host[:port], nothing after it): {origin!r}")
        return origins

    @field_validator("service_urls")
    @classmethod
    def _web_addresses(cls, urls: dict[str, str]) -> dict[str, str]:
        for name, url in urls.items():
            if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
                raise ValueError(f"{name}: not an http(s) address: {url!r}")
        return urls

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        """The origins a browser may call this service from: the system's own services and those added."""
        return tuple(sorted({origin_of(url) for url in self.service_urls.values()} | set(self.http_allowed_origins)))

    @property
    def keys_path(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    @property
    def port(self) -> int:
        return self.default_http_port if self.http_port is None else self.http_port

    def resolved_database_url(self) -> str:
        """The service's own database: explicit URL, else its database on the server, else SQLite."""
        if self.service_database_url:
            return self.service_database_url
        if self.database_url:
            url = make_url(self.database_url)
            return url.set(database=f"{self.database_prefix}{self.service_name}").render_as_string(
                hide_password=False
            )
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{self.service_name}.db').resolve()}"
