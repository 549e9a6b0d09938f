"""What the optimisation solvers share: one HiGHS model at a time per process.

Requests run in worker threads, and HiGHS instances running in parallel threads have crashed
(its task scheduler is shared by the process). A solve takes milliseconds to a fraction of a
second, so the training plans and the team assembly take turns on :data:`HIGHS`.
"""

from __future__ import annotations

import threading

HIGHS = threading.Lock()
