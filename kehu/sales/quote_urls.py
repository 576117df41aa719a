from django.urls import path

from kehu.sales import quote_views as views

urlpatterns = [
    path("", views.quote_list_view, name="quote_list"),
    path("new/", views.quote_create_view, name="quote_create"),
    path("<int:pk>/", views.quote_detail_view, name="quote_detail"),
    path("<int:pk>/edit/", views.quote_edit_view, name="quote_edit"),
    path("<int:pk>/lines/add/", views.quote_line_add_view, name="quote_line_add"),
    path("<int:pk>/lines/<int:line_pk>/remove/", views.quote_line_remove_view, name="quote_line_remove"),
    path("<int:pk>/delete/", views.quote_delete_view, name="quote_delete"),
    path("<int:pk>/pdf/", views.quote_pdf_view, name="quote_pdf"),
    path("<int:pk>/<slug:action>/", views.quote_action_view, name="quote_action"),
]
