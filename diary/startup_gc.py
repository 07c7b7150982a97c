"""The app's modules load with the cyclic garbage collector paused (issue 12).

Loading them makes ~100,000 objects (modules, classes, schemas, mapped tables) that live
as long as the process; meanwhile the collector walks the growing heap again and again,
about 10 % of every start (bench/startup.py). ``app`` imports this module before its own
modules, which pauses the collector, and calls :func:`loaded` after them, which puts what
they made out of the collector's reach for good (``gc.freeze``) and resumes it.
"""

import gc

_was_enabled = gc.isenabled()
gc.disable()


def loaded() -> None:
    """End the pause begun at import: freeze every object made so far, resume collecting."""
    gc.freeze()
    if _was_enabled:
        gc.enable()
