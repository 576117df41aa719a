"""The waves API end to end: a wave, its sample and invitations, responses
recorded by phone, validation errors in the envelope."""

import pytest

from kehu.surveys.models import Response
from kehu.surveys.services.definitions import survey_set_status
from tests.api.conftest import api_as  # noqa: F401 - fixture
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_wave_sample_invitations_and_responses(org, gas, api_as):  # noqa: F811
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    for k in range(8):
        CustomerFactory(name=f"接口客户{k}", owner=org.users.sales_n1, region="east" if k < 2 else "north")
    api = api_as(org.users.admin)
    r = api.post(f"/surveys/{gas.pk}/waves", {"name": "API wave", "population": {"filters": {"owner_id":
                                                                                           org.users.sales_n1.pk}}})
    assert r.status_code == 201, r.content
    wave = r.json()
    bad = api.post(f"/surveys/{gas.pk}/waves", {"name": "API wave"})
    assert bad.status_code == 422 and "name" in bad.json()["error"]["fields"]
    preview = api.post(f"/waves/{wave['id']}/sample", {"size": 4, "strata": "region", "seed": 5}).json()
    assert preview["seed"] == 5 and preview["allocation"] == {"east": 1, "north": 3}
    made = api.post(f"/waves/{wave['id']}/invitations", {"size": 4, "strata": "region", "seed": 5}).json()
    assert made["customer_ids"] == preview["customer_ids"]
    assert api.post(f"/waves/{wave['id']}/invitations", {"size": 1}).status_code == 422
    assert api.get(f"/waves/{wave['id']}").json()["sample_design"]["seed"] == 5
    invitations = api.get(f"/waves/{wave['id']}/invitations").json()["items"]
    assert len(invitations) == 4 and all(i["link"].endswith("/") and "/s/" in i["link"] for i in invitations)
    assert api.post(f"/waves/{wave['id']}/open").json()["status"] == "open"
    inv = invitations[0]
    missing = api.post(f"/waves/{wave['id']}/responses", {"invitation_id": inv["id"], "answers": {"Q1": 5}})
    assert missing.status_code == 422 and "answers.Q2" in missing.json()["error"]["fields"]
    wrong = api.post(f"/waves/{wave['id']}/responses", {"invitation_id": inv["id"], "answers": {"Q1": 9, "QX": 1}})
    assert wrong.status_code == 422 and "answers.QX" in wrong.json()["error"]["fields"]
    answers = {"Q1": 5, "Q2": 5, "Q3": "yes", "Q4": 5, "Q5": 5, "Q6": 5, "Q7": 5, "Q8": 5, "Q9": 5, "Q10": 5,
               "Q11": "很满意"}
    ok = api.post(f"/waves/{wave['id']}/responses", {"invitation_id": inv["id"], "answers": answers})
    assert ok.status_code == 201, ok.content
    body = ok.json()
    assert body["index"] == 100 and body["satisfied"] is True and body["source"] == "phone"
    assert body["answers"]["Q3"] == "yes" and body["entered_by_id"] == org.users.admin.pk
    again = api.post(f"/waves/{wave['id']}/responses", {"invitation_id": inv["id"], "answers": answers})
    assert again.status_code == 422
    listed = api.get(f"/waves/{wave['id']}/responses", {"source": "phone"}).json()["items"]
    assert [x["id"] for x in listed] == [body["id"]]
    assert api.get(f"/responses/{body['id']}").json()["answers"]["Q11"] == "很满意"
    assert api.post(f"/waves/{wave['id']}/close").json()["status"] == "closed"
    assert Response.objects.count() == 1
