from django.urls import path

from faxes.views import blast, detail, history, inbox, send

app_name = "faxes"

urlpatterns = [
    path("", history.fax_list, name="list"),
    path("export.csv", history.fax_export, name="export"),
    path("count/", history.fax_count, name="count"),
    path("refresh/", history.sync_refresh, name="refresh"),
    path("sync-status/", history.sync_status, name="sync_status"),
    path("send/", send.send_form, name="send"),
    path("send/upload/", send.send_upload, name="send_upload"),
    path("send/recipients/", send.send_check_recipients, name="send_recipients"),
    path("send/preview/<uuid:token>/", send.send_preview_pdf, name="send_preview"),
    path("blast/", blast.blast_upload, name="blast"),
    path("blast/template.xlsx", blast.blast_template, name="blast_template"),
    path("blast/<uuid:token>/", blast.blast_review, name="blast_review"),
    path("blast/<uuid:token>/recipients.xlsx", blast.blast_list_download, name="blast_download"),
    path("submissions/<uuid:key>/", detail.submission_detail, name="submission"),
    path("<uuid:message_id>/", detail.fax_detail, name="detail"),
    path("<uuid:message_id>/row/", history.fax_row, name="row"),
    path("<uuid:message_id>/pdf", detail.fax_pdf, name="pdf"),
    path("<uuid:message_id>/archive/", detail.fax_archive, name="archive"),
    path("<uuid:message_id>/cancel/", detail.fax_cancel, name="cancel"),
    path("<uuid:message_id>/delete/", detail.fax_delete, name="delete"),
    path("<uuid:message_id>/resend/", detail.fax_resend, name="resend"),
    path("<uuid:message_id>/forward/", send.send_forward, name="forward"),
    path("<uuid:message_id>/team/", inbox.fax_team, name="team"),
    path("<uuid:message_id>/notes/", inbox.fax_note, name="note"),
]
