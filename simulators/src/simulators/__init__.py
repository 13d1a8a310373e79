"""Department system simulators (部门业务系统模拟器).

Stand-ins for the police, health, medical-insurance and other department systems: each consumes its
request topic, waits a configurable latency, decides approve / reject / needs-correction from a
seeded hash (the same request always gets the same answer), and returns a result signed with the
department's own key.
"""
