"""Security events of the exchange (安全事件)."""
