"""Sending: single, multiple, resend, preview; validation and page counts."""

from __future__ import annotations

import io
import logging
import time

import pytest
import requests
from pypdf import PdfReader

from drenfax_portal.sandbox import SandboxConfig

from .conftest import Api, error_of, jpeg_bytes, pdf_bytes, pdf_pages, pdf_text, png_bytes


def test_sending_answers_the_fax_object_in_the_reference_shape(sandbox, api):
    response = api.send(
        "(212) 555-0123",
        files={"attachments": ("a.pdf", pdf_bytes(2), "application/pdf")},
        recipientName="Dr. Lee",
        subject="Referral",
        cf='{"case": "A-17"}',
        tags="4c225812-81f1-4827-8194-b0e9475c54e6",
    )
    assert response.status_code == 200
    fax = response.json()
    assert fax["status"] == "processing"
    assert fax["processingStatusName"] == "processing"
    assert fax["direction"] == "outbound"
    assert fax["faxNumber"] == "+12125550123"
    assert fax["pagesCount"] == 2
    assert fax["pagesComplete"] == 0
    assert fax["recipientName"] == "Dr. Lee"
    assert fax["subject"] == "Referral"
    assert fax["cf"] == {"case": "A-17"}
    assert fax["tags"][0]["uuid"] == "4c225812-81f1-4827-8194-b0e9475c54e6"
    assert fax["accountId"] == sandbox.account_id
    assert fax["country"] == "US"
    assert fax["createdAt"].endswith("Z") and len(fax["createdAt"]) == 24
    assert fax["resolvedDate"] is None and fax["duration"] is None
    for key in (
        "messageId",
        "deliveryId",
        "faxCsid",
        "faxCallerId",
        "faxECM",
        "faxSpeed",
        "faxProtocol",
        "faxAttempt",
        "isArchived",
        "isFilePurged",
        "users",
        "account",
        "contacts",
        "resultCode",
        "resultInfo",
        "errorInfo",
    ):
        assert key in fax


def test_the_caller_id_defaults_to_the_accounts_first_number(api):
    first = api.get("/v1/numbers").json()["rows"][0]["number"]
    assert api.send().json()["faxCallerId"] == first


def test_a_given_caller_id_is_used(api):
    assert api.send(callerId="5094570051").json()["faxCallerId"] == "5094570051"


def test_a_single_send_reads_fax_number(api):
    response = api.post(
        "/v1/faxes", data={"faxNumber": "11234567890", "coverPage": "true"}, files={"x": ("", b"")}
    )
    assert response.status_code == 400  # 123 is not a valid area code
    response = api.post(
        "/v1/faxes", data={"faxNumber": "12125550123", "coverPage": "true"}, files={"x": ("", b"")}
    )
    assert response.status_code == 200
    assert response.json()["faxNumber"] == "+12125550123"


def test_recipient_fax_on_a_single_send_is_read_as_an_alias_and_logged(sandbox_factory, caplog):
    api = Api(sandbox_factory(strict=False))
    with caplog.at_level(logging.WARNING, logger="drenfax_portal.sandbox"):
        response = api.post("/v1/faxes", data={"recipientFax": "2125550123", "coverPage": "true"})
    assert response.status_code == 200
    assert response.json()["faxNumber"] == "+12125550123"
    assert "recipientFax sent for faxNumber" in caplog.text


def test_strict_mode_refuses_the_other_endpoints_destination_field(api):
    response = api.post("/v1/faxes", data={"recipientFax": "2125550123", "coverPage": "true"})
    assert response.status_code == 400
    assert "reads faxNumber" in error_of(response)["message"]
    response = api.post("/v1/faxes/multiple", data={"faxNumber": "2125550123", "coverPage": "true"})
    assert response.status_code == 400
    assert "reads recipientFax" in error_of(response)["message"]
    assert api.get("/_sandbox/stats").json()["faxes"]["total"] == 0


def test_strict_mode_refuses_contacts_on_a_single_send(api):
    contact = api.get("/_sandbox/contacts").json()["rows"][0]
    response = api.post(
        "/v1/faxes", data={"recipientContacts": contact["uuid"], "coverPage": "true"}
    )
    assert response.status_code == 400
    assert "/v1/faxes/multiple" in error_of(response)["message"]


def test_a_send_answers_after_the_send_latency_with_the_fax_already_made(sandbox_factory):
    sandbox = sandbox_factory(send_latency="0.6")
    api = Api(sandbox)
    with pytest.raises(requests.ReadTimeout):
        api.send(timeout=0.2)
    # The fax exists although its answer never reached the client: an unknown outcome.
    assert api.get("/_sandbox/stats").json()["faxes"]["total"] == 1
    started = time.monotonic()
    assert api.send().status_code == 200
    assert time.monotonic() - started >= 0.6


@pytest.mark.parametrize("latency", ["-1", "5-2", "soon", "601"])
def test_a_bad_send_latency_is_refused(latency):
    with pytest.raises(ValueError, match="send_latency"):
        SandboxConfig(send_latency=latency)


def test_an_urlencoded_cover_page_only_send_works(api):
    response = api.post("/v1/faxes", data={"faxNumber": "2125550123", "coverPage": "true"})
    assert response.status_code == 200
    assert response.json()["pagesCount"] == 1


@pytest.mark.parametrize(
    "number,e164",
    [
        ("2125550123", "+12125550123"),
        ("12125550123", "+12125550123"),
        ("+1 212-555-0123", "+12125550123"),
        ("+442079460000", "+442079460000"),
    ],
)
def test_destinations_may_be_nanp_or_e164(api, number, e164):
    assert api.send(number).json()["faxNumber"] == e164


@pytest.mark.parametrize(
    "number", ["123", "212555012", "+1234", "21255501234", "0000000000", "fax"]
)
def test_invalid_destinations_are_refused(api, number):
    response = api.send(number)
    assert response.status_code == 400
    assert "invalid fax number" in error_of(response)["message"]


def test_sending_without_files_or_cover_page_is_refused_with_the_providers_message(api):
    response = api.post("/v1/faxes", data={"faxNumber": "2125550123"})
    assert response.status_code == 400
    assert error_of(response) == {
        "name": "InvalidInputError",
        "message": "No files and cover page in to send.",
    }


def test_a_missing_recipient_is_refused(api):
    response = api.post("/v1/faxes", data={"coverPage": "true"})
    assert response.status_code == 400
    assert "faxNumber is required" in error_of(response)["message"]


@pytest.mark.parametrize(
    "field,limit", [("recipientName", 40), ("senderName", 40), ("subject", 55), ("notes", 4000)]
)
def test_field_limits_are_enforced(api, field, limit):
    assert api.send(**{field: "x" * limit}).status_code == 200
    response = api.send(**{field: "x" * (limit + 1)})
    assert response.status_code == 400
    assert (
        error_of(response)["message"]
        == f"{field} must be at most {limit} characters (got {limit + 1})"
    )


@pytest.mark.parametrize("caller_id", ["50945700511", "509457005", "abcdefghij"])
def test_caller_id_must_be_ten_digits(api, caller_id):
    response = api.send(callerId=caller_id)
    assert response.status_code == 400
    assert "callerId" in error_of(response)["message"]


@pytest.mark.parametrize("cf", ["{not json", "[1, 2]", '"text"'])
def test_malformed_custom_fields_are_refused(api, cf):
    response = api.send(cf=cf)
    assert response.status_code == 400
    assert "cf must be a JSON object" in error_of(response)["message"]


def test_a_malformed_scheduled_date_is_refused(api):
    response = api.send(scheduledDate="next tuesday")
    assert response.status_code == 400
    assert "scheduledDate must be an ISO 8601 date-time" in error_of(response)["message"]


def test_a_past_scheduled_date_sends_at_once(api):
    assert api.send(scheduledDate="2020-01-01T00:00:00.000Z").json()["status"] == "processing"


def test_an_unknown_cover_page_id_is_refused(api):
    response = api.send(coverPageId="d1077489-5ea1-4db1-9760-853f175e8288")
    assert response.status_code == 400
    assert "unknown coverPageId" in error_of(response)["message"]


def test_a_cover_page_id_alone_includes_that_cover_page(api):
    page = api.get("/coverpages").json()[1]
    response = api.post("/v1/faxes", data={"faxNumber": "2125550123", "coverPageId": page["uuid"]})
    assert response.status_code == 200
    assert response.json()["pagesCount"] == 1


def test_cover_page_false_with_files_sends_no_cover_page(api):
    response = api.send(
        files={"attachments": ("a.pdf", pdf_bytes(3), "application/pdf")}, coverPage="false"
    )
    assert response.json()["pagesCount"] == 3


def test_booleans_must_be_true_or_false(api):
    response = api.send(coverPage="yes")
    assert response.status_code == 400
    assert error_of(response)["message"] == "coverPage must be true or false, not 'yes'"


def test_a_malformed_webhook_id_is_refused(api):
    assert api.send(webhookId="nope").status_code == 400


def test_contacts_are_resolved_and_unknown_contact_ids_refused(api):
    contacts = api.get("/_sandbox/contacts").json()["rows"]
    response = api.post(
        "/v1/faxes/multiple", data={"recipientContacts": contacts[0]["uuid"], "coverPage": "true"}
    )
    assert response.status_code == 200
    (fax,) = response.json()["success"]
    assert fax["faxNumber"] == contacts[0]["faxNumber"]
    assert fax["contacts"][0]["uuid"] == contacts[0]["uuid"]
    response = api.post(
        "/v1/faxes/multiple",
        data={
            "recipientContacts": "d1077489-5ea1-4db1-9760-853f175e8288",
            "recipientFax": "2125550123",
            "coverPage": "true",
        },
    )
    assert response.status_code == 400
    assert "unknown contact id" in error_of(response)["message"]


def test_single_send_refuses_several_destinations(api):
    response = api.send("2125550123,2125550124")
    assert response.status_code == 400
    assert "/v1/faxes/multiple" in error_of(response)["message"]


# --- attachments and page counts ------------------------------------------------------------------
def test_pages_are_counted_for_every_kind_of_attachment(api):
    text = "\n".join(f"line {i}" for i in range(120)).encode()  # 54 lines a page: 3 pages
    files = [
        ("attachments", ("a.pdf", pdf_bytes(4), "application/pdf")),
        ("attachments", ("b.txt", text, "text/plain")),
        ("attachments", ("c.jpg", jpeg_bytes(), "image/jpeg")),
        ("attachments", ("d.png", png_bytes(), "image/png")),
    ]
    response = api.post(
        "/v1/faxes", data={"faxNumber": "2125550123", "coverPage": "true"}, files=files
    )
    assert response.status_code == 200, response.text
    assert response.json()["pagesCount"] == 1 + 4 + 3 + 1 + 1


def test_long_text_lines_wrap_onto_more_pages(api):
    text = ("y" * 78 * 60).encode()  # one line of 60 wrapped lines: 2 pages
    response = api.send(files={"attachments": ("long.txt", text, "text/plain")})
    assert response.json()["pagesCount"] == 2


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("a.exe", b"MZ\x90\x00binary", "unsupported file type"),
        ("a.pdf", b"not a pdf at all", "is not a valid PDF document"),
        ("a.pdf", b"%PDF-1.4\ngarbage", "could not be read as a PDF"),
        ("empty.txt", b"", "is empty"),
        ("a.jpg", b"\xff\xd8\xff\xe0garbage", "is not a valid JPEG image"),
    ],
)
def test_unreadable_attachments_are_refused(api, name, data, message):
    response = api.send(files={"attachments": (name, data, "application/octet-stream")})
    assert response.status_code == 400
    assert message in error_of(response)["message"]


def test_the_download_is_the_cover_page_followed_by_the_attachments(api, sandbox):
    original = pdf_bytes(2)
    fax = api.send(
        files={"attachments": ("a.pdf", original, "application/pdf")},
        coverPage="true",
        recipientName="Dr. Lee",
        senderName="Front Desk",
        subject="Referral",
        notes="Call me back",
        callerId="5094570051",
    ).json()
    response = api.get(f"/v1/fax/{fax['messageId']}/download")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert pdf_pages(response.content) == 3
    text = pdf_text(response.content)
    for expected in (
        "Fax Transmission",
        "To: Dr. Lee",
        "From: Front Desk",
        "RE: Referral",
        "Pages: 3",
        "Comments: Call me back",
        "+1 212-555-0123",
        "5094570051",
    ):
        assert expected in text


def test_a_pdf_alone_is_downloaded_byte_for_byte(api):
    original = pdf_bytes(2)
    fax = api.send(files={"attachments": ("a.pdf", original, "application/pdf")}).json()
    assert api.get(f"/v1/fax/{fax['messageId']}/download?format=pdf").content == original


def test_download_refuses_other_formats(api):
    fax = api.send().json()
    assert api.get(f"/v1/fax/{fax['messageId']}/download?format=tiff").status_code == 400


def test_text_and_images_are_rendered_into_the_download(api):
    files = [
        ("attachments", ("notes.txt", b"Hello from a text file\n", "text/plain")),
        ("attachments", ("scan.jpg", jpeg_bytes(), "image/jpeg")),
        ("attachments", ("chart.png", png_bytes(), "image/png")),
        ("attachments", ("alpha.png", png_bytes(alpha=True), "image/png")),
        ("attachments", ("broken.png", png_bytes()[:40], "image/png")),
    ]
    fax = api.post("/v1/faxes", data={"faxNumber": "2125550123"}, files=files).json()
    pdf = api.get(f"/v1/fax/{fax['messageId']}/download").content
    assert pdf_pages(pdf) == fax["pagesCount"] == 5
    assert [len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages] == [0, 1, 1, 1, 0]
    text = pdf_text(pdf)
    assert "Hello from a text file" in text
    assert "Attachment: broken.png" in text  # an image that cannot be decoded: a describing page


# --- multiple -------------------------------------------------------------------------------------
def test_multiple_creates_one_fax_per_recipient_and_reports_bad_numbers(api):
    response = api.post(
        "/v1/faxes/multiple",
        data={"recipientFax": "2125550123,123,+442079460000", "coverPage": "true"},
    )
    assert response.status_code == 200
    body = response.json()
    assert [f["faxNumber"] for f in body["success"]] == ["+12125550123", "+442079460000"]
    assert body["errors"] == [
        {
            "error": "InvalidInputError: invalid fax number '123': use 10 or 11 digits "
            "(North America) or +E.164",
            "recipientFax": "123",
        }
    ]
    assert len({f["messageId"] for f in body["success"]}) == 2


def test_multiple_refuses_a_request_without_files_or_cover_page(api):
    response = api.post("/v1/faxes/multiple", data={"recipientFax": "2125550123,2125550124"})
    assert response.status_code == 400


# --- resend ---------------------------------------------------------------------------------------
def test_resend_sends_a_completed_fax_again_with_its_documents(sandbox, api):
    fax = api.send(
        files={"attachments": ("a.pdf", pdf_bytes(2), "application/pdf")},
        coverPage="true",
        subject="Again",
    ).json()
    sandbox.wait_for_fax(fax["messageId"])
    response = api.post("/v1/fax/resend", data={"messageId": fax["messageId"]})
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == []
    (again,) = body["success"]
    assert again["messageId"] != fax["messageId"]
    assert again["faxNumber"] == fax["faxNumber"]
    assert again["pagesCount"] == 3
    assert again["subject"] == "Again"
    assert pdf_pages(api.get(f"/v1/fax/{again['messageId']}/download").content) == 3


def test_resend_can_change_the_destination(sandbox, api):
    fax = api.send("2125550001").json()
    sandbox.wait_for_fax(fax["messageId"])
    body = api.post(
        "/v1/fax/resend", data={"messageId": fax["messageId"], "recipientFax": "2125550124"}
    ).json()
    assert body["success"][0]["faxNumber"] == "+12125550124"


def test_resend_reports_a_bad_new_destination(sandbox, api):
    fax = api.send().json()
    sandbox.wait_for_fax(fax["messageId"])
    body = api.post(
        "/v1/fax/resend", data={"messageId": fax["messageId"], "recipientFax": "12"}
    ).json()
    assert body["success"] == [] and body["errors"][0]["recipientFax"] == "12"


def test_resend_refuses_a_fax_still_in_progress(sandbox_factory):
    sandbox = sandbox_factory(speed=0.01)
    from .conftest import Api

    api = Api(sandbox)
    fax = api.send().json()
    response = api.post("/v1/fax/resend", data={"messageId": fax["messageId"]})
    assert response.status_code == 400
    assert "only completed faxes can be resent" in error_of(response)["message"]


def test_resend_of_an_unknown_fax_is_404_and_without_id_400(api):
    assert (
        api.post(
            "/v1/fax/resend", data={"messageId": "027012f1-80c9-4be5-b093-1f54783dfa3b"}
        ).status_code
        == 404
    )
    assert api.post("/v1/fax/resend", data={}).status_code == 400


# --- preview --------------------------------------------------------------------------------------
def test_preview_answers_the_pdf_and_sends_nothing(api):
    before = api.get("/_sandbox/stats").json()["faxes"]["total"]
    response = api.post(
        "/v1/fax/preview",
        data={"coverPage": "true", "recipientName": "Dr. Lee", "subject": "Preview me"},
        files={"attachments": ("a.pdf", pdf_bytes(2), "application/pdf")},
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert pdf_pages(response.content) == 3
    assert "RE: Preview me" in pdf_text(response.content)
    assert api.get("/_sandbox/stats").json()["faxes"]["total"] == before


def test_preview_validates_like_sending(api):
    response = api.post("/v1/fax/preview", data={"subject": "x" * 56, "coverPage": "true"})
    assert response.status_code == 400
    response = api.post("/v1/fax/preview", data={})
    assert error_of(response)["message"] == "No files and cover page in to send."


def test_info_of_an_unknown_or_malformed_id_is_404(api):
    assert api.get("/v1/fax/027012f1-80c9-4be5-b093-1f54783dfa3b/info").status_code == 404
    response = api.get("/v1/fax/not-a-uuid/info")
    assert response.status_code == 404
    assert error_of(response)["name"] == "NotFoundError"


def test_a_seeded_fax_can_be_resent(sandbox, api):
    sandbox.seed(20, seed=9)
    rows = api.get("/v1/fax/history", params={"direction": "outbound", "limit": 20}).json()["rows"]
    original = rows[0]
    body = api.post("/v1/fax/resend", data={"messageId": original["messageId"]}).json()
    (again,) = body["success"]
    assert again["pagesCount"] == original["pagesCount"]
    done = sandbox.wait_for_fax(again["messageId"])
    assert done["pagesComplete"] in (0, original["pagesCount"])
    pdf = api.get(f"/v1/fax/{again['messageId']}/download").content
    assert pdf_pages(pdf) == original["pagesCount"]
