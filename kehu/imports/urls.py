from django.urls import path

from kehu.imports import views

urlpatterns = [
    path("", views.start, name="import_start"),
    path("<int:pk>/", views.preview, name="import_preview"),
    path("<int:pk>/confirm/", views.confirm, name="import_confirm"),
    path("<int:pk>/cancel/", views.cancel, name="import_cancel"),
    path("<int:pk>/result/", views.result, name="import_result"),
    path("template/<str:kind>.csv", views.template_file, name="import_template"),
    path("export/customers/", views.customer_export, name="customer_export"),
    path("export/orders/", views.order_export, name="order_export"),
    path("export/interactions/", views.interaction_export, name="interaction_export"),
    path("export/tasks/", views.task_export, name="task_export"),
]
