from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from workspaces.views import SignInView
from workspaces.views_errors import bad_request, not_found, server_error
from workspaces.web import post_only

api_v1: list[URLPattern | URLResolver] = [
    # First: the ingestion endpoints take most requests, and URL resolution is in order.
    path("", include("people.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("workspaces.api_urls")),
    path("", include("segments.api_urls")),
    path("", include("studies.api_urls")),
    path("", include("interviews.api_urls")),
    path("", include("reports.api_urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", include("people.sdk_urls")),
    path("login/", SignInView.as_view(), name="login"),
    # Logging out is a POST; a GET (a typed or bookmarked /logout/) goes home instead of a 405.
    path("logout/", post_only("home")(auth_views.LogoutView.as_view()), name="logout"),
    path("", include("workspaces.urls")),
    path("", include("people.urls")),
    path("", include("segments.urls")),
    path("", include("studies.urls")),
    path("", include("interviews.urls")),
    path("", include("reports.urls")),
]
# The admin site is one more sign-in form to attack: off in production unless asked for.
if settings.MOTIVE_ADMIN_ENABLED:
    urlpatterns.insert(4, path("admin/", admin.site.urls))

handler400 = bad_request
handler404 = not_found
handler500 = server_error
