from django.urls import path

from kehu.marketing.targeting import views

urlpatterns = [
    path("", views.page, name="targeting"),
]
