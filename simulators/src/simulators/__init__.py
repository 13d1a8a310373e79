"""Department system and base registry simulators (部门业务系统与基础库模拟器).

Stand-ins for the police, health, medical-insurance and other department systems: each consumes its
request topic, waits a configurable latency, answers preliminary reviews (预审: deficiencies in round 1
with the correction rate) and handling requests (approve / reject by rate) from a seeded hash (the same
request always gets the same answer), signed with the department's own key. Beside them the base
registries (人口基础信息库, 法人基础信息库) answer data-sharing lookups with records synthesised from the
identifier, signed with the registry's own key.

Every request is receipted at once (签收回执, ``department.request.received``) before any decision, unless it is
answered at once (no latency, its case not held): then the answer is its receipt. The HTTP API
(port 8106) also sets fault modes for chaos runs: ``GET``/``POST /faults`` with ``{"mode": "none" | "silent" |
"slow" | "errors", "departments": [codes], "delay_s": 5, "ratio": 0.5}`` (see :mod:`simulators.faults` and
docs/reliability.md, "Department deadlines 部门应答时限"); and holds cases (压件, ``/holds``), kept on file across
restarts (:mod:`simulators.holds`).
"""
