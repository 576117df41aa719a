from django.contrib.auth import views as auth_views
from django.urls import path

from kehu.accounts import views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("me/two-step/", views.totp_setup, name="totp_setup"),
    path("me/two-step/off/", views.totp_disable, name="totp_disable"),
    path("security/", views.security, name="security"),
    path("security/unlock/", views.security_unlock, name="security_unlock"),
]
