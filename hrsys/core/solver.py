"""What the optimisation solvers share: one HiGHS model at a time per process, made silent.

Requests run in worker threads, and HiGHS instances running in parallel threads have crashed
(its task scheduler is shared by the process). A solve takes milliseconds to a fraction of a
second, so the training plans and the team assembly take turns on :data:`HIGHS`.

HiGHS prints its banner on standard output the first time a model of the process is made with
output on, which is how ``highspy.Highs()`` starts (it installs its callbacks before the caller can
set ``output_flag``): :func:`new_highs` turns the output off first, so the server's and the
benchmarks' output stay clean.
"""

from __future__ import annotations

import threading

import highspy

HIGHS = threading.Lock()


class _SilentHighs(highspy.Highs):
    def enableCallbacks(self) -> None:
        # Called by highspy.Highs.__init__ once the model exists: the first point where options can be set.
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


def new_highs() -> highspy.Highs:
    """A HiGHS model with its output off (no banner, no log)."""
    return _SilentHighs()
