"""URLs of the distribution pages (under /surveys/): waves, sampling,
invitations and QR codes, phone interviews, importing answers. The public
answer page is ``/s/<token>/`` (kehu/urls.py)."""

from django.urls import path

from kehu.surveys import views_distribution as v

urlpatterns = [
    path("<int:pk>/waves/", v.wave_list, name="survey_waves"),
    path("<int:pk>/waves/new/", v.wave_create, name="survey_wave_create"),
    path("<int:pk>/waves/<int:w>/", v.wave_detail, name="survey_wave_detail"),
    path("<int:pk>/waves/<int:w>/edit/", v.wave_edit, name="survey_wave_edit"),
    path("<int:pk>/waves/<int:w>/status/", v.wave_status, name="survey_wave_status"),
    path("<int:pk>/waves/<int:w>/send/", v.wave_send, name="survey_wave_send"),
    path("<int:pk>/waves/<int:w>/sample/", v.sample_page, name="survey_wave_sample"),
    path("<int:pk>/waves/<int:w>/invite-partners/", v.invite_partners, name="survey_wave_invite_partners"),
    path("<int:pk>/waves/<int:w>/sample/size/", v.sample_size, name="survey_wave_sample_size"),
    path("<int:pk>/waves/<int:w>/sample/progress/", v.sample_progress, name="survey_wave_sample_progress"),
    path("<int:pk>/waves/<int:w>/invitations/", v.invitation_list, name="survey_wave_invitations"),
    path("<int:pk>/waves/<int:w>/invitations/<int:inv>/qr.<str:fmt>", v.invitation_qr, name="survey_invitation_qr"),
    path("<int:pk>/waves/<int:w>/qr-sheet/", v.qr_sheet, name="survey_wave_qr_sheet"),
    path("<int:pk>/waves/<int:w>/phone/", v.phone_pick, name="survey_phone_pick"),
    path("<int:pk>/waves/<int:w>/phone/start/", v.phone_start, name="survey_phone_start"),
    path("<int:pk>/waves/<int:w>/phone/<int:inv>/", v.phone_entry, name="survey_phone_entry"),
    path("<int:pk>/waves/<int:w>/import/", v.import_page, name="survey_wave_import"),
]
