"""``python -m simulators``: every simulated department system in one process."""

from exchange.cli import service_main
from simulators.config import SimulatorSettings
from simulators.service import build

if __name__ == "__main__":
    service_main(SimulatorSettings, build, migrations_package=None)
