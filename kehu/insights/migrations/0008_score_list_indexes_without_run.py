"""The scores' list indexes: the descending ones run the id backwards too, and on
PostgreSQL all six lose their leading ``run_id``.

Ties in the CLV, churn-risk and revenue-at-risk lists now run in the measure's direction
(``-clv, -id``): with one direction, the next page is one row-value comparison ``(clv, id)
< (x, y)`` that the index answers by a range scan, where the mixed ``-clv, id`` needed
``clv < x OR (clv = x AND id > y)``, which made PostgreSQL walk the index from its start
and filter — 4.4 s for a page deep in the benchmark's CLV list (kehu/pagination.py).

The scores are partitioned by run (0003): every partition holds one run, so ``run_id``
is the same in every entry of a partition's index. As the leading key it made each
index larger and, worse, made the bulk build slow: PostgreSQL sorts on an abbreviated
first key, and a constant first key abbreviates to nothing, so every comparison of the
build fell through to the full keys — the numeric CLV and revenue at risk especially.
Measured on the benchmark's 774,784 scores (backend CPU, one process, best of three):
``(run_id, clv DESC, id)`` 3.09 s against ``(clv DESC, id)`` 0.99 s; ``(run_id,
churn_risk DESC, id)`` 0.81 s against 0.55 s; ``(run_id, next_order_date, id)`` 0.90 s
against 0.66 s (docs/benchmarks.md).

A list query names its run (``WHERE run_id = N``): the planner prunes to that run's
partition and walks the partition's index in the list's order, with ``run_id = N`` as a
filter every row passes. The model keeps ``run`` in these indexes for SQLite, whose
scores table is not partitioned; Django compares the model's state, not the database,
so no later migration undoes this. The score writer copies the parent's index
definitions onto each new partition (kehu/insights/score_writer.py ``_attach``), so new
runs get the short keys. Rows written through the ORM land in the DEFAULT partition,
where the same indexes serve a few runs at test scale.
"""

from django.db import migrations, models

TABLE = "insights_customerscore"
# name -> (the model's fields, the PostgreSQL keys without the run)
INDEXES = {
    "score_run_churn": (["run", "-churn_risk", "-id"], "churn_risk DESC, id DESC"),
    "score_run_at_risk": (["run", "-revenue_at_risk", "-id"], "revenue_at_risk DESC, id DESC"),
    "score_run_clv": (["run", "-clv", "-id"], "clv DESC, id DESC"),
    "score_run_tier": (["run", "tier", "id"], "tier, id"),
    "score_run_rfm": (["run", "rfm_group", "id"], "rfm_group, id"),
    "score_run_next_order": (["run", "next_order_date", "id"], "next_order_date, id"),
}
# the three whose id direction changed: name -> the fields before
BEFORE = {
    "score_run_churn": ["run", "-churn_risk", "id"],
    "score_run_at_risk": ["run", "-revenue_at_risk", "id"],
    "score_run_clv": ["run", "-clv", "id"],
}


def _sqlite(apps, schema_editor, old: dict, new: dict) -> None:
    model = apps.get_model("insights", "CustomerScore")
    for name in BEFORE:
        schema_editor.remove_index(model, models.Index(fields=old[name], name=name))
        schema_editor.add_index(model, models.Index(fields=new[name], name=name))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        _sqlite(apps, schema_editor, BEFORE, {name: INDEXES[name][0] for name in BEFORE})
        return
    with schema_editor.connection.cursor() as cursor:
        for name, (_fields, keys) in INDEXES.items():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
            cursor.execute(f'CREATE INDEX "{name}" ON "{TABLE}" ({keys})')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        _sqlite(apps, schema_editor, {name: INDEXES[name][0] for name in BEFORE}, BEFORE)
        return
    with schema_editor.connection.cursor() as cursor:
        for name, (fields, _keys) in INDEXES.items():
            fields = BEFORE.get(name, fields)
            keys = ", ".join(("run_id" if f == "run" else f.lstrip("-")) + (" DESC" if f.startswith("-") else "")
                             for f in fields)
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
            cursor.execute(f'CREATE INDEX "{name}" ON "{TABLE}" ({keys})')


class Migration(migrations.Migration):

    dependencies = [
        ("insights", "0007_score_rescored"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[op for name, before in BEFORE.items() for op in (
                migrations.RemoveIndex(model_name="customerscore", name=name),
                migrations.AddIndex(model_name="customerscore",
                                    index=models.Index(fields=INDEXES[name][0], name=name)),
            )],
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
        ),
    ]
