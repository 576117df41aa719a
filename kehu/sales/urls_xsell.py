from django.urls import path

from kehu.sales import xsell_views

urlpatterns = [
    path("associations/", xsell_views.association_list, name="association_list"),
    path("customers/<int:pk>/suggestions/", xsell_views.customer_suggestions_view, name="customer_suggestions"),
]
