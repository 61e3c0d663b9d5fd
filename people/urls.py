from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("people/", views.people_list, name="list"),
    path("people/import/", views.people_import, name="import"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
]
