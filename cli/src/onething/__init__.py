"""The ``onething`` command: run the whole system, a demo batch, or tail a topic."""
