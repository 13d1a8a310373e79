"""Department gateway (部门接入网关): department systems that speak only HTTP poll for, or are called back with,
the requests addressed to them, and answer over signed HTTP; the gateway stands for them on the bus."""
