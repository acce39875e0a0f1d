from django.urls import path

from jiedao.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("two-factor/", views.TwoFactorView.as_view(), name="two_factor"),
    path("two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("settings/", views.MySettingsView.as_view(), name="my_settings"),
    path("users/", views.UserListView.as_view(), name="user_list"),
    path("users/new/", views.UserCreateView.as_view(), name="user_create"),
    path("users/<int:pk>/edit/", views.UserEditView.as_view(), name="user_edit"),
    path("users/<int:pk>/roles/", views.UserRolesView.as_view(), name="user_roles"),
    path("users/<int:pk>/deactivate/", views.UserDeactivateView.as_view(), name="user_deactivate"),
    path("users/<int:pk>/handover/", views.UserHandoverView.as_view(), name="user_handover"),
    path("users/<int:pk>/unlock/", views.UserUnlockView.as_view(), name="user_unlock"),
    path("roles/", views.RoleListView.as_view(), name="role_list"),
    path("roles/new/", views.RoleCreateView.as_view(), name="role_create"),
    path("roles/<int:pk>/edit/", views.RoleEditView.as_view(), name="role_edit"),
    path("login-log/", views.LoginLogView.as_view(), name="loginattempt_list"),
]
