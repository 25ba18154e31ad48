from django.urls import path

from fax_numbers.views import numbers, provision, team, tools

app_name = "numbers"

urlpatterns = [
    path("", numbers.number_list, name="list"),
    path("refresh/", numbers.number_refresh, name="refresh"),
    path("search/", provision.number_search, name="search"),
    path("provision/", provision.number_provision, name="provision"),
    path("provision/<uuid:key>/", provision.provisioning_detail, name="provisioning"),
    path("validate/", tools.number_validate, name="validate"),
    path("team/", team.team_list, name="team"),
    path("team/<int:user_id>/", team.team_member, name="team_member"),
    path("<uuid:number_id>/", numbers.number_detail, name="detail"),
    path("<uuid:number_id>/assign/", numbers.number_assign, name="assign"),
    path("<uuid:number_id>/unassign/", numbers.number_unassign, name="unassign"),
    path("<uuid:number_id>/storage/", numbers.number_storage, name="storage"),
    path("<uuid:number_id>/manager/", numbers.number_manager, name="manager"),
    path("<uuid:number_id>/release/", numbers.number_release, name="release"),
]
