from __future__ import annotations

from tests.conftest import PASSWORD


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_a_member_signs_in_and_lands_home(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"] == alice


def test_wrong_password_is_refused_with_a_message(client, alice):
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_honours_next_but_not_foreign_hosts(client, alice):
    response = client.post(
        "/accounts/login/?next=https://evil.example/",
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_is_post_only(alice_client):
    assert alice_client.get("/accounts/logout/").status_code == 405
    response = alice_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert alice_client.get("/").status_code == 302


def test_layout_shows_user_logout_and_sandbox_badge(alice_client, settings):
    settings.DRENFAX_SANDBOX = True
    body = alice_client.get("/").content.decode()
    assert "alice" in body
    assert 'action="/accounts/logout/"' in body
    assert "SANDBOX" in body
    assert "hx-headers" in body and "X-CSRFToken" in body
    assert "/static/django_htmx/htmx-2" in body


def test_no_sandbox_badge_against_the_real_api(alice_client, settings):
    settings.DRENFAX_SANDBOX = False
    assert "SANDBOX" not in alice_client.get("/").content.decode()


def test_staff_reach_the_admin_and_members_do_not(staff_client, alice_client):
    assert staff_client.get("/admin/").status_code == 200
    assert alice_client.get("/admin/")["Location"].startswith("/admin/login/")
