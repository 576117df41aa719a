"""URLs of the analysis part (under /surveys/): results, the model's
results, exports, benchmarks and the CSI report."""

from django.urls import path

from kehu.surveys import views_analysis as v

urlpatterns = [
    path("<int:pk>/results/", v.results_page, name="survey_results"),
    path("<int:pk>/results/export/", v.results_export, name="survey_results_export"),
    path("<int:pk>/results/model/", v.model_page, name="survey_model_results"),
    path("<int:pk>/benchmarks/", v.benchmark_list, name="survey_benchmarks"),
    path("<int:pk>/benchmarks/new/", v.benchmark_form, name="survey_benchmark_create"),
    path("<int:pk>/benchmarks/<int:bid>/edit/", v.benchmark_form, name="survey_benchmark_edit"),
    path("<int:pk>/benchmarks/<int:bid>/delete/", v.benchmark_delete, name="survey_benchmark_delete"),
    path("<int:pk>/report/", v.report_page, name="survey_report"),
    path("<int:pk>/report/pdf/", v.report_download, name="survey_report_pdf"),
]
