from django.urls import path

from interviews import api

urlpatterns = [
    path("interviews/<str:token>/", api.InterviewApi.as_view(), name="interview-detail"),
    path("interviews/<str:token>/answer", api.AnswerApi.as_view(), name="interview-answer"),
]
