from django.urls import path

from . import views

urlpatterns = [
    # The unsubscribe link of every e-mail (and marketing SMS): a signed token, no login.
    path("<str:signed>/", views.unsubscribe, name="outreach_unsubscribe"),
]
