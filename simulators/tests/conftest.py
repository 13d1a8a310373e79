"""Shared set-up of the simulator tests.

``--import-mode=importlib`` names a test module after its folders (``simulators.tests.test_…``) and, when
the ``simulators`` package is not imported yet, registers this folder's parent as a namespace package
``simulators`` that shadows the installed one. Put the installed package back before any test imports it.
"""

from __future__ import annotations

import importlib
import sys

_shadow = sys.modules.get("simulators")
if _shadow is not None and getattr(_shadow, "__file__", None) is None:  # the folder, not the package
    del sys.modules["simulators"]
    importlib.import_module("simulators")
