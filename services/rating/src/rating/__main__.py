"""``python -m rating [serve|migrate]``."""

from exchange.cli import service_main
from rating.bootstrap import build
from rating.config import RatingSettings

if __name__ == "__main__":
    service_main(RatingSettings, build, migrations_package="rating")
