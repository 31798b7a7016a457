"""Compatibility shim: the dynamic provider now lives in :mod:`components.serving.traffic`.

Pulumi keeps a dynamic resource's provider in the stack's state, pickled by reference (module
path and class name); resources created before the move name ``model_assets.traffic``. This
module must stay importable, or updating and deleting those resources fails. It makes the old
name an alias of the new module, so both names give the very same classes. Add no code here.
"""

import sys

from components.serving import traffic as _moved

sys.modules[__name__] = _moved
