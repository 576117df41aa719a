from django.urls import path

from kehu.sales import views

urlpatterns = [
    path("", views.opportunity_list, name="opportunity_list"),
    path("board/", views.opportunity_board, name="opportunity_board"),
    path("board/column/<int:stage_pk>/", views.opportunity_board_column, name="opportunity_board_column"),
    path("funnel/", views.opportunity_funnel, name="opportunity_funnel"),
    path("new/", views.opportunity_create_view, name="opportunity_create"),
    path("<int:pk>/", views.opportunity_detail, name="opportunity_detail"),
    path("<int:pk>/edit/", views.opportunity_edit_view, name="opportunity_edit"),
    path("<int:pk>/move/", views.opportunity_move_view, name="opportunity_move"),
    path("<int:pk>/win/", views.opportunity_win_view, name="opportunity_win"),
    path("<int:pk>/lose/", views.opportunity_lose_view, name="opportunity_lose"),
    path("<int:pk>/reopen/", views.opportunity_reopen_view, name="opportunity_reopen"),
]
