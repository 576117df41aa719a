from django.urls import path

from kehu.engagement import views

urlpatterns = [
    path("", views.visit_week, name="visit_week"),
    path("new/", views.visit_create_view, name="visit_create"),
    path("team/", views.visit_team, name="visit_team"),
    path("calendar/", views.visit_feed_regenerate, name="visit_feed_regenerate"),
    path("calendar/<str:token>.ics", views.visit_feed, name="visit_feed"),
    path("<int:pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/move/", views.visit_move_view, name="visit_move"),
    path("<int:pk>/done/", views.visit_done_view, name="visit_done"),
    path("<int:pk>/skip/", views.visit_skip_view, name="visit_skip"),
    path("<int:pk>/check-in/", views.visit_check_in_view, name="visit_check_in"),
]
