from django.contrib import admin
from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("admin/", admin.site.urls),
    # POST username + password, get {"token": "..."} for "Authorization: Token ...".
    path("api-token-auth/", obtain_auth_token),
    # django-helpdesk at the root: UI under /, DRF ticket API under /api/.
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
