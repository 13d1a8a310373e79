"""Department system and base registry simulators (部门业务系统与基础库模拟器).

Stand-ins for the police, health, medical-insurance and other department systems: each consumes its
request topic, waits a configurable latency, answers preliminary reviews (预审: deficiencies in round 1
with the correction rate) and handling requests (approve / reject by rate) from a seeded hash (the same
request always gets the same answer), signed with the department's own key. Beside them the base
registries (人口基础信息库, 法人基础信息库) answer data-sharing lookups with records synthesised from the
identifier, signed with the registry's own key.
"""
