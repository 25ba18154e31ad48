"""The API's documented field limits: the client checks them before sending, the portal's
forms before the user gets that far."""

NAME_MAX = 40  # recipientName, senderName
SUBJECT_MAX = 55
NOTES_MAX = 4000
HISTORY_LIMIT_MAX = 500  # rows per GET /v1/fax/history
PROVISION_MAX = 1000  # numbers per POST /v1/numbers/provision
