"""A customer scans the QR code on a poster with a phone (Chinese browser): fills in
the public service form with a photo, sees the confirmation with the case number,
and later follows the status link in another browser; the agent's move shows there."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.service.models import Case, CaseAttachment
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True}


def test_submit_confirm_and_look_up_the_status_on_a_phone(new_page, live_server, org, settings, tmp_path):
    from kehu.service.intake import intake_link_create
    from kehu.service.services import case_transition

    settings.KEHU_PUBLIC_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    link = intake_link_create(actor=org.users.admin, data={"name": "上海服务中心", "team": org.teams.north})

    page = new_page(**PHONE)
    page.goto(f"/service/form/{link.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("联系我们的服务团队")
    # the honeypot is there for robots but not for people
    expect(page.locator("input[name=website]")).not_to_be_in_viewport()
    page.get_by_label("您的姓名").fill("李女士")
    page.get_by_label("电话").fill("13912345678")
    page.get_by_label("您的诉求类型").select_option("repair")
    page.get_by_label("您的留言").fill("燃气表不走字 <script>alert(1)</script>")
    page.get_by_label("照片或文档").set_input_files(files=[{"name": "燃气表.pdf", "mimeType": "application/pdf",
                                                        "buffer": PDF_BYTES}])
    page.get_by_test_id("public-submit").click()

    expect(page.get_by_test_id("public-confirmation")).to_have_text("谢谢！您的诉求已登记。")
    case = Case.objects.get()
    expect(page.get_by_test_id("public-ref")).to_have_text(case.ref)
    expect(page.get_by_test_id("public-kind")).to_have_text("维修")
    assert case.channel == "website" and case.team == org.teams.north
    assert CaseAttachment.objects.get(case=case).name == "燃气表.pdf"
    status_url = page.get_by_test_id("public-status-link").get_attribute("href")
    assert status_url == f"{live_server.url}/service/status/{case.public_token}/"

    # an agent accepts it; the customer, in another browser, sees the new status and nothing internal
    case_transition(actor=org.users.north_service, case=case, to_status="accepted")
    later = new_page(**PHONE)
    later.goto(status_url)
    expect(later.get_by_test_id("public-ref")).to_have_text(case.ref)
    expect(later.get_by_test_id("public-case-status")).to_have_text("已受理")
    expect(later.get_by_test_id("public-confirmation")).to_have_count(0)
    expect(later.locator("body")).not_to_contain_text("李女士")
    expect(later.locator("body")).not_to_contain_text("13912345678")
