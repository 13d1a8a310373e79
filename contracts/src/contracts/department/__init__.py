from contracts.department.v1 import *  # noqa: F403
from contracts.department.v1 import __all__ as __all__
