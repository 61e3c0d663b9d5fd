from django.urls import path

from segments import views

app_name = "segments"
urlpatterns = [
    path("segments/", views.segment_list, name="list"),
    path("people/", views.people_list, name="people"),
]
