from django.urls import path

from kehu.marketing.coupons import views

urlpatterns = [
    path("", views.definition_list, name="coupon_definition_list"),
    path("export/", views.definition_export, name="coupon_definition_export"),
    path("new/", views.definition_create_view, name="coupon_definition_create"),
    path("<int:pk>/", views.definition_detail, name="coupon_definition_detail"),
    path("<int:pk>/edit/", views.definition_edit, name="coupon_definition_edit"),
    path("<int:pk>/issue/", views.definition_issue, name="coupon_definition_issue"),
    path("sets/new/", views.set_create_view, name="coupon_set_create"),
    path("issued/", views.coupon_list, name="coupon_list"),
    path("issued/export/", views.coupon_export, name="coupon_export"),
    path("issued/<int:pk>/", views.coupon_detail, name="coupon_detail"),
    path("issued/<int:pk>/void/", views.coupon_void_view, name="coupon_void"),
    path("redeem/order/<int:order_pk>/", views.order_redeem, name="coupon_order_redeem"),
]
