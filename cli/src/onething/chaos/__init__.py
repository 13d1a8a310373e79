"""``onething chaos`` (故障注入): submit a batch through the real system, inject a scenario's faults while it
runs, wait until it settles, count what was lost or duplicated. ``counting`` is pure, ``faults`` holds one
small injector per kind of fault, ``scenarios`` names them, ``runner`` runs a scenario against a system."""
