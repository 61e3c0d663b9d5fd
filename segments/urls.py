from django.urls import path

from segments import views

app_name = "segments"
urlpatterns = [
    path("segments/", views.segment_list, name="list"),
    path("people/", views.people_list, name="people"),
    path("people/import/", views.people_import, name="people-import"),
    path("people/<int:person_id>/", views.person_detail, name="person"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:account_id>/", views.account_detail, name="account"),
]
