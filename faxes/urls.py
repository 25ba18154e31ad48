from django.urls import path

from faxes.views import detail, history

app_name = "faxes"

urlpatterns = [
    path("", history.fax_list, name="list"),
    path("export.csv", history.fax_export, name="export"),
    path("refresh/", history.sync_refresh, name="refresh"),
    path("sync-status/", history.sync_status, name="sync_status"),
    path("submissions/<uuid:key>/", detail.submission_detail, name="submission"),
    path("<uuid:message_id>/", detail.fax_detail, name="detail"),
    path("<uuid:message_id>/row/", history.fax_row, name="row"),
    path("<uuid:message_id>/pdf", detail.fax_pdf, name="pdf"),
    path("<uuid:message_id>/archive/", detail.fax_archive, name="archive"),
    path("<uuid:message_id>/cancel/", detail.fax_cancel, name="cancel"),
    path("<uuid:message_id>/delete/", detail.fax_delete, name="delete"),
    path("<uuid:message_id>/resend/", detail.fax_resend, name="resend"),
]
