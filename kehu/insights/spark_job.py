"""The value analysis as a Spark application: the entry point for ``spark-submit``.

::

    spark-submit --master yarn --deploy-mode client \\
        --conf spark.driver.memory=8g --conf spark.executor.memory=8g \\
        "$(python -c 'import kehu.insights.spark_job as j; print(j.__file__)')" \\
        --orders s3a://warehouse/sales/orders --scores-out s3a://warehouse/kehu/scores

or ``python -m kehu.insights.spark_job ...`` on a machine where ``pyspark``
finds the cluster by itself. The arguments are those of
``kehu analyze --engine spark`` (``--orders``, ``--scores-out``, ``--as-of``,
``--calibration-end``, ``--json`` ...); ``--engine spark`` is implied and
the master is the one ``spark-submit`` set. docs/scale.md says what runs
where and how to configure it.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from kehu.cli import main as kehu_main

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--engine" not in argv:
        argv = ["--engine", "spark", *argv]
    return kehu_main(["analyze", *argv])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
