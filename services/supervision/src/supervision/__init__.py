"""Supervision service (电子监察服务): a statutory clock for every released department task, due after
its legal time limit in working days (办结时限)."""
