from django.urls import path

from contacts import views

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="list"),
    path("suggest", views.contact_suggest, name="suggest"),
    path("new/", views.contact_add, name="add"),
    path("export.csv", views.contact_export, name="export"),
    path("import/", views.contact_import, name="import"),
    path("<int:pk>/", views.contact_edit, name="edit"),
    path("<int:pk>/delete/", views.contact_remove, name="delete"),
]
