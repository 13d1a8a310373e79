from contracts.supervision.v1 import *  # noqa: F403
from contracts.supervision.v1 import __all__ as __all__
