"""Topic registry (主题注册表): every topic, its key, partitions, retention and the events it carries.

Services never write topic strings; they take them from here. ``deploy`` and the AsyncAPI document
are generated from this module, and start-up creates the topics it lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.departments import DEPARTMENTS

__all__ = [
    "ALL_TOPICS",
    "BROKER_EPOCH",
    "CASE_DOSSIER",
    "CASE_STREAM",
    "DEPARTMENT_RESULTS",
    "LICENCE_EVENTS",
    "LICENCE_REQUESTS",
    "PLUMBING_TOPICS",
    "RATING_EVENTS",
    "RATING_FIGURES",
    "SECURITY_EVENTS",
    "SHARING_ANSWERS",
    "SHARING_REQUESTS",
    "SUPERVISION_FIGURES",
    "TopicSpec",
    "dead_letter_topic",
    "default_topics",
    "department_requests",
    "topic",
]

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str  # the payload field(s) the Kafka record key is made of, e.g. "case_id" or "by:key" (see record_key)
    description_zh: str
    description_en: str
    event_types: tuple[str, ...]
    partitions: int = 6
    retention_ms: int | None = 30 * DAY_MS  # None = keep forever
    compacted: bool = False
    configs: dict[str, str] = field(default_factory=dict)
    department: str | None = None  # set on a department's request topic: producers route to it explicitly
    # 受限: carries personal data (names, ID numbers, phones, addresses, accounts) for the one reader that needs
    # it; grant read access to that reader alone. Every other topic (the case stream, figures) carries none.
    restricted: bool = False

    def record_key(self, payload: object, default: str) -> str:
        """The Kafka record key of ``payload`` on this topic, so that what must stay in order shares a partition:
        the values of the payload fields :attr:`key` names, joined by ``:``; ``default`` (the envelope's subject)
        when the payload does not carry one of them (a holder's licence events: the status change names no
        holder, so its producer gives the key)."""
        values = [getattr(payload, name, None) for name in self.key.split(":")]
        if any(value is None for value in values):
            return default
        return ":".join(str(value) for value in values)

    def kafka_configs(self) -> dict[str, str]:
        out = {"cleanup.policy": "compact" if self.compacted else "delete"}
        if self.retention_ms is not None:
            out["retention.ms"] = str(self.retention_ms)
        else:
            out["retention.ms"] = "-1"
        out.update(self.configs)
        return out


# 好差评闭环: invitation → rating → rectification → report → call-back → closure; appeals (rating service)
RATING_LOOP = (
    "rating.invitation.sent",
    "rating.rating.submitted",
    "rating.rectification.opened",
    "rating.rectification.reported",
    "rating.rectification.called_back",
    "rating.rectification.closed",
    "rating.appeal.filed",
    "rating.appeal.decided",
)

CASE_STREAM = TopicSpec(
    name="onething.case.stream",
    key="case_id",
    description_zh="统一办件流：各服务关于同一办件的事实，按办件编号分区保序",
    description_en="Unified case stream: every service's facts about a case, keyed by case id",
    event_types=(
        "intake.case.registered",
        "intake.case.correction_filed",
        "intake.case.delivered",
        "intake.case.notified",
        "dispatch.review.concluded",
        "dispatch.finding.beyond_list",
        "dispatch.task.released",
        "dispatch.task.concluded",
        "dispatch.request.undeliverable",
        "gateway.callback.parked",
        "licence.case.licence_issued",
        "licence.licence.status_changed",
        "supervision.clock.started",
        "supervision.clock.adjusted",
        "supervision.clock.stopped",
        "supervision.card.issued",
        "supervision.order.issued",
        "supervision.repeat.flagged",
        *RATING_LOOP,
    ),
    retention_ms=None,
)

CASE_DOSSIER = TopicSpec(
    name="onething.case.dossier",
    key="case_id",
    description_zh="办件卷宗（受限）：申请人身份、表单、材料与补正内容，仅分派服务读取，按事项转交所需部门",
    description_en="Case dossiers (restricted): the applicant's identity, the form, the materials and corrections; "
                   "read by dispatch alone, which hands each department what its item needs",
    event_types=("intake.case.accepted", "intake.case.corrected"),
    retention_ms=90 * DAY_MS,
    restricted=True,
)

DEPARTMENT_RESULTS = TopicSpec(
    name="exchange.dept.results",
    key="case_id",
    description_zh="部门办理结果回传（部门密钥签名）",
    description_en="Department results returned to the platform, signed by the department",
    event_types=("department.result.returned", "department.review.returned", "department.request.received"),
)

SHARING_REQUESTS = TopicSpec(
    name="exchange.sharing.requests",
    key="subject_id",
    description_zh="数据共享查询请求（经申请人授权，用于表单预填）",
    description_en="Data-sharing lookups for pre-fill, each authorised by the applicant",
    event_types=("sharing.lookup.requested",),
    partitions=3,
    retention_ms=7 * DAY_MS,
    restricted=True,  # whose data is looked up
)

SHARING_ANSWERS = TopicSpec(
    name="exchange.sharing.answers",
    key="draft_id",
    description_zh="基础库与电子证照库的共享查询应答（各库密钥签名）",
    description_en="Answers of the base registries and the e-licence archive, each signed by its registry",
    event_types=("sharing.lookup.answered",),
    partitions=3,
    retention_ms=7 * DAY_MS,
    restricted=True,  # the registries' records of the applicant
)

LICENCE_REQUESTS = TopicSpec(
    name="onething.licence.requests",
    key="case_id",
    description_zh="发证请求（受限）：分派服务请电子证照服务向持证主体发证，含持证主体身份，仅电子证照服务读取",
    description_en="Licence requests (restricted): dispatch asks the licence service to issue an item's e-licence "
                   "to its holder, whose identity they carry; read by the licence service alone",
    event_types=("dispatch.licence.requested",),
    retention_ms=90 * DAY_MS,
    restricted=True,
)

LICENCE_EVENTS = TopicSpec(
    name="licence.licence.events",
    key="holder_id",
    description_zh="电子证照事件，按持证主体分区（一人一档/一企一档）",
    description_en="Electronic licence events, keyed by holder (one archive per person/organisation)",
    event_types=("licence.licence.issued", "licence.licence.status_changed"),
    retention_ms=None,
    restricted=True,  # 一人一档: keyed by the holder, the credential names them
)

RATING_EVENTS = TopicSpec(
    name="rating.rating.events",
    key="case_id",
    description_zh="好差评事件：邀请、评价、差评整改、回访、办结、申诉复核（按办件编号分区；长期保留，可重算统计）",
    description_en="Rating (好差评) events: invitations, ratings, rectification, call-backs, closure, appeals; "
                   "keyed by case, kept so figures can be recomputed",
    event_types=RATING_LOOP,
    retention_ms=None,
)

RATING_FIGURES = TopicSpec(
    name="analytics.rating.figures",
    key="period:period_start:by:key",
    description_zh="满意度指标（按部门、事项、窗口、渠道，按日、按周，含与按时办结的对照；不含个人信息）；"
                   "每个指标的最新值（压缩主题）",
    description_en="Satisfaction figures per department, item, window and channel, by day and week, against "
                   "on-time outcome; no personal data; the latest value of each figure (compacted)",
    event_types=("rating.figures.updated",),
    partitions=1,
    retention_ms=None,
    compacted=True,
)


SUPERVISION_FIGURES = TopicSpec(
    name="analytics.supervision.figures",
    key="by:key",
    description_zh="办理效能指标（按部门、事项、窗口，每日一次；不含个人信息）",
    description_en="Efficiency figures per department, item and window, daily; no personal data",
    event_types=("supervision.figures.published",),
    partitions=1,
    retention_ms=None,
)


def department_requests(code: str) -> TopicSpec:
    """The request topic of one department (部门收件主题): what it is asked, and notice of any answer refused."""
    return TopicSpec(
        name=f"exchange.dept.{code}.requests",
        key="case_id",
        description_zh=f"发往部门 {code} 的预审与办理请求，以及其回传被拒收的通知",
        description_en=f"Review and handling requests addressed to department {code}, and notice of any of its "
                       "answers the platform refused",
        event_types=("dispatch.review.requested", "dispatch.request.sent", "dispatch.answer.refused"),
        # One: a department's adapter is one consumer, and the embedded broker's cost of every fetch grows with
        # the partitions it names (the simulators' one consumer reads all 45 topics; docs/performance.md, step 19).
        partitions=1,
        department=code,
        restricted=True,  # what the department needs for the item: the applicant, the form, the materials
    )


def dead_letter_topic(source_topic: str, consumer: str) -> TopicSpec:
    """Per-consumer dead letters (死信), so the owner of the failure is clear; restricted as its source is."""
    source = _BY_NAME.get(source_topic)
    return TopicSpec(
        name=f"{source_topic}.dlq.{consumer}",
        key="original key",
        description_zh=f"{consumer} 无法处理的 {source_topic} 消息",
        description_en=f"Messages of {source_topic} that {consumer} could not handle",
        event_types=(),
        partitions=1,
        retention_ms=None,
        restricted=source is None or source.restricted,  # an unknown topic's letters: assume the worst
    )


BROKER_EPOCH = TopicSpec(
    name="exchange.broker.epoch",
    key="none",
    description_zh="消息代理纪元：偏移量 0 的记录标识这一次代理的数据；代理丢失主题或偏移量后由首个发现者重写，"
                   "各服务据此重建主题、重启消费者并从发件箱重发（记录为 JSON，不是信封）",
    description_en="Broker epoch: the record at offset 0 names this incarnation of the broker's data; whoever first "
                   "finds it missing writes a new one, and every service then re-creates topics, restarts its "
                   "consumers and re-publishes from its outbox (the record is plain JSON, not an envelope)",
    event_types=(),
    partitions=1,
    retention_ms=None,
)

SECURITY_EVENTS = TopicSpec(
    name="exchange.security.events",
    key="claimed_source",
    description_zh="安全事件：消费者因发布者无权发布而拒收的记录（不含个人信息；记录本身留在死信库）",
    description_en="Security events: records consumers refused because their publisher may not publish them (no "
                   "personal data; the record itself stays in the consumer's dead-letter store)",
    event_types=("exchange.security.refused",),
    partitions=1,
    retention_ms=None,
)

# Topics of the exchange's own plumbing, carrying no envelopes: created at start like the others, but not
# channels of the AsyncAPI document.
PLUMBING_TOPICS: tuple[TopicSpec, ...] = (BROKER_EPOCH,)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    CASE_STREAM,
    CASE_DOSSIER,
    DEPARTMENT_RESULTS,
    LICENCE_REQUESTS,
    LICENCE_EVENTS,
    RATING_EVENTS,
    RATING_FIGURES,
    SHARING_REQUESTS,
    SHARING_ANSWERS,
    SUPERVISION_FIGURES,
    SECURITY_EVENTS,
    *(department_requests(d.code) for d in DEPARTMENTS),
)

_BY_NAME = {t.name: t for t in ALL_TOPICS}


def default_topics(event_type: str) -> tuple[TopicSpec, ...]:
    """Every topic that carries ``event_type``, except department request topics, which are chosen
    per message by the department addressed."""
    found = tuple(t for t in ALL_TOPICS if event_type in t.event_types and t.department is None)
    if not found:
        raise LookupError(f"{event_type} has no default topic; pass the topics explicitly")
    return found


def topic(name: str) -> TopicSpec:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown topic {name!r}") from None
