from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from workspaces.views_errors import bad_request, not_found, server_error

api_v1: list[URLPattern | URLResolver] = [
    # First: the ingestion endpoints take most requests, and URL resolution is in order.
    path("", include("people.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("workspaces.api_urls")),
    path("", include("segments.api_urls")),
    path("", include("studies.api_urls")),
    path("", include("reports.api_urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("people.sdk_urls")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("workspaces.urls")),
    path("", include("people.urls")),
    path("", include("segments.urls")),
    path("", include("studies.urls")),
    path("", include("reports.urls")),
]

handler400 = bad_request
handler404 = not_found
handler500 = server_error
