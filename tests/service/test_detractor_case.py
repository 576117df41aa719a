"""A survey set to follow up as a case: a detractor or a low index opens a complaint
case (channel survey follow-up, linked to the response) instead of a task; the
setting in the definition file, the form and the API."""

import pytest
from django.urls import reverse

from kehu.engagement.models import Task
from kehu.service.models import Case
from kehu.surveys import definitions as defs
from kehu.surveys.selectors import survey_definition
from kehu.surveys.services.definitions import survey_create_from_template, survey_update
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def nps(org):
    return survey_create_from_template(actor=org.users.admin, template="nps", code="nps-case")


def test_a_detractor_opens_one_complaint_case_instead_of_a_task(org, customers, nps):
    survey_update(actor=org.users.admin, survey=nps, data={"follow_up_as": "case"})
    wave = WaveFactory(survey=nps, name="2026 Q4")
    response = ResponseFactory(wave=wave, customer=customers.n1, nps=2, index=None, answers={"NPS": 2})
    submit(response)
    case = Case.objects.get()
    assert (case.kind, case.channel, case.customer, case.source_response) == ("complaint", "survey", customers.n1,
                                                                              response)
    assert case.severity == 2 and "2 of 10" in case.description and case.status == "new"
    assert case.steps.count() == 6 and case.events.get().kind == "created"
    assert not Task.objects.exists()
    submit(response)   # a retried submission: still one case
    assert Case.objects.count() == 1
    # a promoter opens nothing
    submit(ResponseFactory(wave=wave, customer=customers.n1b, nps=10, index=None, answers={"NPS": 10}))
    assert Case.objects.count() == 1


def test_follow_up_as_task_is_the_default(org, customers, nps):
    assert nps.follow_up_as == "task"
    wave = WaveFactory(survey=nps, name="2026 Q4")
    submit(ResponseFactory(wave=wave, customer=customers.n1, nps=2, index=None, answers={"NPS": 2}))
    assert Task.objects.count() == 1 and not Case.objects.exists()


def test_the_definition_file_carries_the_setting(org, nps):
    survey_update(actor=org.users.admin, survey=nps, data={"follow_up_as": "case"})
    definition = survey_definition(nps)
    assert definition["settings"]["follow_up_as"] == "case"
    text = defs.dump(defs.compact(definition))
    assert "follow_up_as: case" in text
    assert defs.load_text(text)["settings"]["follow_up_as"] == "case"
    with pytest.raises(defs.DefinitionError) as exc:
        defs.validate({"code": "x", "title": {"en": "X"}, "settings": {"follow_up_as": "letter"}})
    assert "settings.follow_up_as" in [p.path for p in exc.value.problems]


def test_the_api_and_the_form_know_the_field(org, nps, api_as, client_for):
    api = api_as(org.users.admin)
    assert api.get(f"/surveys/{nps.pk}").json()["follow_up_as"] == "task"
    r = api.patch(f"/surveys/{nps.pk}", {"follow_up_as": "case"})
    assert r.status_code == 200, r.content
    assert r.json()["follow_up_as"] == "case"
    assert_error(api.patch(f"/surveys/{nps.pk}", {"follow_up_as": "letter"}), 422, "validation_error")
    client = client_for(org.users.admin)
    page = client.get(reverse("survey_edit", args=[nps.pk])).content.decode()
    assert 'name="follow_up_as"' in page
