"""What the server's processes share at run time: the rate counters of the
answer page (:mod:`kehu.runtime.ratelimit`), the database cache's table, and
the liveness of long-running jobs (:mod:`kehu.runtime.liveness`)."""
