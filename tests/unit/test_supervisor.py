"""The restart policy of ``onething up`` (进程守护): exponential back-off, capped, reset after a healthy run."""

from __future__ import annotations

import signal

from onething.supervisor import Child, Restart, RestartPolicy, describe_exit

POLICY = RestartPolicy(first_delay_s=0.5, max_delay_s=4.0, healthy_after_s=60.0)


def test_the_delay_doubles_per_consecutive_death_up_to_the_cap() -> None:
    assert [POLICY.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def test_a_process_that_keeps_dying_backs_off_and_one_that_ran_healthy_starts_over() -> None:
    child = Child("dispatch", poll=lambda: None, relaunch=lambda: None, started_at=0.0)
    first = child.died(-signal.SIGKILL, now=1.0, policy=POLICY)
    assert (first.attempt, first.delay_s, child.restart_at) == (1, 0.5, 1.5)
    child.restarted(now=1.5)
    second = child.died(1, now=2.0, policy=POLICY)  # died again 0.5 s after its restart
    assert (second.attempt, second.delay_s) == (2, 1.0)
    child.restarted(now=3.0)
    healthy = child.died(1, now=3.0 + 60.0, policy=POLICY)  # ran a minute: the back-off starts over
    assert (healthy.attempt, healthy.delay_s) == (1, 0.5)
    assert child.restarts == 2


def test_a_restart_says_which_process_how_it_ended_the_attempt_and_the_delay() -> None:
    restart = Restart("broker", -signal.SIGKILL, 3, 2.0, "2026-12-04T21:00:00+00:00")
    assert restart.describe() == "进程退出，重启 broker died (signal SIGKILL); restart attempt 3 in 2.0s"
    assert restart.as_json()["exit"] == "signal SIGKILL"
    assert describe_exit(2) == "exit code 2"
