"""``python -m dispatch [serve|migrate]``."""

from dispatch.bootstrap import build
from dispatch.config import DispatchSettings
from exchange.cli import service_main

if __name__ == "__main__":
    service_main(DispatchSettings, build, migrations_package="dispatch")
