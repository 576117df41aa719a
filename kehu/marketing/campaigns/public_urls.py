from django.urls import path

from . import views

urlpatterns = [
    # A campaign message's tracked link: a random token per member, no login.
    path("<str:token>/", views.tracked_link, name="campaign_link"),
]
