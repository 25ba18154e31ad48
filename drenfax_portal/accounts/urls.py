from django.contrib.auth import views as auth_views
from django.urls import path

from drenfax_portal.accounts import views
from drenfax_portal.accounts.middleware import otp_exempt

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    # Signing out needs no second factor: a user stuck at the code can always leave.
    path("logout/", otp_exempt(auth_views.LogoutView.as_view()), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("two-factor/", views.two_factor_overview, name="two_factor"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="two_factor_recovery"),
    path("two-factor/disable/", views.two_factor_disable, name="two_factor_disable"),
]
