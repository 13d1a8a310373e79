"""``python -m gateway [serve|migrate]``."""

from exchange.cli import service_main
from gateway.bootstrap import build
from gateway.config import GatewaySettings

if __name__ == "__main__":
    service_main(GatewaySettings, build, migrations_package="gateway")
