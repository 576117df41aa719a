from django.urls import path

from kehu.imports import table_views, views

urlpatterns = [
    path("", views.start, name="import_start"),
    path("<int:pk>/", views.preview, name="import_preview"),
    path("<int:pk>/confirm/", views.confirm, name="import_confirm"),
    path("<int:pk>/cancel/", views.cancel, name="import_cancel"),
    path("<int:pk>/result/", views.result, name="import_result"),
    path("template/<str:kind>.csv", views.template_file, name="import_template"),
    # the all-or-nothing table imports: quotas, partners, staff without a login
    path("tables/<str:kind>/", table_views.start, name="table_import"),
    path("tables/<str:kind>/template.csv", table_views.template_file, name="table_import_template"),
    path("tables/<str:kind>/<int:pk>/", table_views.check, name="table_import_check"),
    path("tables/<str:kind>/<int:pk>/confirm/", table_views.confirm, name="table_import_confirm"),
    path("tables/<str:kind>/<int:pk>/cancel/", table_views.cancel, name="table_import_cancel"),
    path("export/customers/", views.customer_export, name="customer_export"),
    path("export/orders/", views.order_export, name="order_export"),
    path("export/interactions/", views.interaction_export, name="interaction_export"),
    path("export/tasks/", views.task_export, name="task_export"),
]
