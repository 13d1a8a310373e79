"""``python -m supervision [serve|migrate]``."""

from exchange.cli import service_main
from supervision.bootstrap import build
from supervision.config import SupervisionSettings

if __name__ == "__main__":
    service_main(SupervisionSettings, build, migrations_package="supervision")
