from django.urls import path

from kehu.surveys.staff import views as v

urlpatterns = [
    path("<int:pk>/waves/<int:w>/invite-employees/", v.invite, name="survey_wave_invite_employees"),
    path("<int:pk>/staff/", v.team_results, name="survey_staff_results"),
    path("<int:pk>/staff/customers/", v.staff_and_customers, name="survey_staff_customers"),
    path("<int:pk>/staff/export/", v.export, name="survey_staff_export"),
]
