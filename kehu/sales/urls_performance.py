from django.urls import path

from kehu.sales import views_performance as views

urlpatterns = [
    path("performance/", views.performance_page, name="sales_performance"),
    path("performance/export/", views.performance_export, name="sales_performance_export"),
    path("receivables/", views.receivables_page, name="sales_receivables"),
    path("receivables/export/", views.receivables_export, name="sales_receivables_export"),
    path("receivables/customer/<int:customer_pk>/", views.receivables_customer, name="sales_receivables_customer"),
]
