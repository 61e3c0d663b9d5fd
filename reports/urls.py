from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report_list, name="list"),
    path("reports/new", views.report_new, name="new"),
    path("reports/<int:report_id>/", views.report_detail, name="detail"),
    path("reports/<int:report_id>/regenerate", views.report_regenerate, name="regenerate"),
    path("reports/<int:report_id>/share", views.report_share, name="share"),
    path("reports/<int:report_id>/split", views.report_split, name="split"),
    path("reports/<int:report_id>/export.json", views.report_export_json, name="export-json"),
    path("reports/<int:report_id>/export.csv", views.report_export_csv, name="export-csv"),
    path("reports/shared/<str:token>/", views.report_shared, name="shared"),
]
