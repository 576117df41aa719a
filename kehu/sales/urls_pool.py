from django.urls import path

from kehu.sales import views_pool

urlpatterns = [
    path("", views_pool.pool_list_view, name="pool_list"),
    path("<int:pk>/claim/", views_pool.pool_claim_view, name="pool_claim"),
    path("customers/<int:pk>/return/", views_pool.pool_return_view, name="pool_return"),
    path("settings/", views_pool.pool_settings_view, name="pool_settings"),
]
