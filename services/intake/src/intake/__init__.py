"""Intake service (受理服务): the one-thing catalogue, one form, the case aggregate and one-pass delivery."""
