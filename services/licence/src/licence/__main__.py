"""``python -m licence [serve|migrate]``."""

from exchange.cli import service_main
from licence.bootstrap import build
from licence.config import LicenceSettings

if __name__ == "__main__":
    service_main(LicenceSettings, build, migrations_package="licence")
