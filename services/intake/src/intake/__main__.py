"""``python -m intake [serve|migrate]``."""

from exchange.cli import service_main
from intake.bootstrap import build
from intake.config import IntakeSettings

if __name__ == "__main__":
    service_main(IntakeSettings, build, migrations_package="intake")
