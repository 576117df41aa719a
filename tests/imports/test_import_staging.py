"""The staged (set-based) customer import: duplicate warnings equal the row-by-row rules,
audit events, tags and consent stamps are written with the new customers."""

import random

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.customers.selectors import customer_history
from kehu.customers.search import name_keys, normalise_phone
from kehu.imports.models import ImportRun
from kehu.imports.services import import_customers
from tests.factories import CustomerFactory

from .conftest import write_csv


def expected_warnings(rows, db):
    """The duplicate rules of docs/import.md, row by row, as the importer applied them before
    the staging table: (line, column, message) for every warning."""
    first_line = {}
    found = set()
    ordered = sorted(db, key=lambda c: (c["name"], c["id"]))
    for line, (ref, name, phone, email, city) in rows:
        phone, email, key = normalise_phone(phone), email.lower(), name_keys(name)[0]
        for label, value in (("phone", phone), ("email", email), ("name", (key, city) if city else None)):
            if not value:
                continue
            what = {"phone": "phone", "email": "email", "name": "name and city"}[label]
            if (label, value) in first_line:
                other_line, other_ref = first_line[label, value]
                found.add((line, label, f"same {what} as line {other_line} ({other_ref})"))
            else:
                first_line[label, value] = (line, ref)
            for c in ordered:
                theirs = {"phone": c["phone"], "email": c["email"], "name": (c["name_key"], c["city"])}[label]
                if theirs == value and c["ref"] != ref and c["merged_into_id"] is None:
                    found.add((line, label, f"same {what} as existing customer {c['ref']} {c['name']}"))
                    break
    return found


def test_duplicate_warnings_match_the_row_by_row_rules(org, tmp_path):
    rnd = random.Random(5)
    names = ["Acme", "Beta Co", "Gamma", "Delta", "Acme."]
    cities = ["", "Shanghai", "Beijing"]
    phones = ["", "138-0000-0001", "13800000002", "13800000003"]
    emails = ["", "a@x.example", "B@x.example", "c@x.example"]
    for i in range(40):
        CustomerFactory(ref=f"D{i:03d}", name=rnd.choice(names), city=rnd.choice(cities),
                        phone=normalise_phone(rnd.choice(phones)), email=rnd.choice(emails).lower())
    merged = Customer.objects.get(ref="D000")
    Customer.objects.filter(ref="D001").update(merged_into=merged)
    db = list(Customer.objects.values("id", "ref", "name", "name_key", "phone", "email", "city", "merged_into_id"))
    rows = []
    for i in range(120):
        ref = f"D{i:03d}" if i % 10 == 0 else f"F{i:03d}"     # some rows update existing customers
        rows.append((i + 2, (ref, rnd.choice(names), rnd.choice(phones), rnd.choice(emails), rnd.choice(cities))))
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "phone", "email", "city"]]
                     + [[ref, name, "企业", phone, email, city] for _line, (ref, name, phone, email, city) in rows])
    report = import_customers(actor=org.users.admin, source=path, dry_run=True)
    assert not report.errors
    got = {(w.line, w.column, w.message) for w in report.warnings}
    want = expected_warnings(rows, db)
    assert got == want
    assert report.warning_count == len(want) > 50
    assert [w.line for w in report.warnings] == sorted(w.line for w in report.warnings)


def test_new_customers_get_audit_events_tags_and_consent(org, customers, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type", "tags", "consent_marketing", "owner", "remarks"],
        ["N1", "重庆银行", "企业", "vip、重点", "是", "sales_n1", "a\tb\\c\nd"],
        ["N2", "Two", "individual", "", "", "", ""],
        [customers.n1.ref, "北方钢铁", "企业", "key", "", "", ""],          # an update
    ])
    calls = []
    report = import_customers(actor=org.users.admin, source=path, progress=lambda *a: calls.append(a))
    assert (report.created, report.updated, report.written) == (2, 1, True)
    run = ImportRun.objects.get()
    n1, n2 = Customer.objects.get(ref="N1"), Customer.objects.get(ref="N2")
    assert (n1.name_key, n1.name_pinyin, n1.name_initials) == ("重庆银行", "chongqingyinhang", "cqyh")
    assert (n1.owner, n1.team, n2.owner) == (org.users.sales_n1, org.teams.n1, org.users.admin)
    assert n1.remarks == "a\tb\\c\nd" and n1.lifecycle_stage == "reserve" and n1.website == ""
    assert n1.consent_marketing and n1.consent_updated_at is not None and n2.consent_updated_at is None
    assert n1.created_at == n2.created_at == n1.updated_at
    assert sorted(n1.tags.values_list("name", flat=True)) == ["vip", "重点"] and not n2.tags.exists()
    assert n1.id < n2.id
    for c in (n1, n2):        # their creation: the import's record, not an audit row each
        assert c.import_run_id == run.pk and not AuditEvent.objects.filter(entity="customer", entity_id=c.pk).exists()
        (event,) = customer_history(c)
        assert (event.action, event.customer_id, event.actor, event.summary) == ("import", c.pk, org.users.admin, "c.csv")
        assert event.changes == {"import": run.pk, "ref": c.ref} and event.created_at == c.created_at
    update = AuditEvent.objects.get(entity="customer", action="update", customer_id=customers.n1.pk)
    assert update.changes["import"] == run.pk and update.changes["tags"] == [[], ["key"]]
    assert AuditEvent.objects.filter(entity="importrun", entity_id=run.pk).count() == 1
    assert calls[0][0] == "check" and calls[-1] == ("write", 3, 3)


def test_refused_import_leaves_no_staging_behind(org, tmp_path):
    from django.db import connection

    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["A1", "One", "个人"], ["A2", "Two", "???"]])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.refused and Customer.objects.count() == 0
    assert not AuditEvent.objects.filter(entity__in=["customer", "importrun"]).exists()
    report = import_customers(actor=org.users.admin, source=path, skip_bad=True)
    assert report.created == 1
    with connection.cursor() as cursor:   # the temporary tables are gone: creating them again works
        cursor.execute("CREATE TEMPORARY TABLE kehu_import_customer_stage (x integer)")
        cursor.execute("DROP TABLE kehu_import_customer_stage")


def test_streamed_stage_checks_codes_after_the_file(org, customers, tmp_path, monkeypatch):
    """Small batches, so owners turn up mid-stream (the stage's COPY is paused for their lookup):
    a code of a customer the importer may not change is a bad row that leaves the stage (no
    duplicate warning points at it, nothing of it is written); a code it may change is an
    update; the tags of every batch arrive."""
    from kehu.imports import services

    monkeypatch.setattr(services, "BATCH", 2)
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type", "phone", "owner", "tags"],
        [customers.e1.ref, "Hijack", "企业", "13900000001", "", "x"],      # line 2: another team's customer
        ["S1", "甲", "个人", "13900000001", "sales_n1", "a"],                # same phone as the bad line 2
        ["S2", "乙", "个人", "", "sales_n1b", "b"],                          # a second owner, next batch
        [customers.n1.ref, "北方钢铁", "企业", "", "", "c"],                 # an update
        ["S3", "丙", "个人", "13900000001", "sales_e1", ""],                 # owner of another team: bad
        ["S4", "丁", "个人", "", "sales_n1", "d、e"],
    ])
    report = import_customers(actor=org.users.north_manager, source=path, skip_bad=True)
    assert sorted((e.line, e.column) for e in report.errors) == [(2, "ref"), (6, "owner")]
    assert not report.warnings
    assert (report.created, report.updated, report.skipped) == (3, 1, 2)
    assert sorted(Customer.objects.filter(ref__startswith="S").values_list("ref", "owner__username")) == [
        ("S1", "sales_n1"), ("S2", "sales_n1b"), ("S4", "sales_n1")]
    assert {ref: sorted(Customer.objects.get(ref=ref).tags.values_list("name", flat=True))
            for ref in ("S1", "S2", "S4", customers.n1.ref)} == {
        "S1": ["a"], "S2": ["b"], "S4": ["d", "e"], customers.n1.ref: ["c"]}
    customers.e1.refresh_from_db()
    assert customers.e1.name == "华东机械集团" and not customers.e1.tags.exists()


def test_only_the_first_warnings_are_kept_and_all_counted(org, tmp_path, monkeypatch):
    from kehu.imports import services

    monkeypatch.setattr(services, "MAX_ISSUES", 3)
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "phone"]]
                     + [[f"W{i}", f"Name {i}", "个人", "13900000009"] for i in range(6)])
    report = import_customers(actor=org.users.admin, source=path, dry_run=True)
    assert report.warning_count == 5 and [w.line for w in report.warnings] == [3, 4, 5]
    assert report.as_dict()["warning_count"] == 5
