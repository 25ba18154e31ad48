"""The example responses of `drenfax-api-reference.txt`, copied as published.

Only JSON syntax slips of the reference are fixed, each noted above its example; values
(odd types included: `faxbridgeId` as a number, `count` as a string, `pagesComplete` null)
are kept as they are, since the client must cope with them.
"""

# ruff: noqa: E501

# POST /v1/faxes
SEND_FAX = r"""{
"errorInfo": null,
"resultInfo": "OK",
"processingStatusName": "processing",
"classificationLabel": "outbound",
"messageId": "59e02992-ee7b-42c1-82c7-87db964d8d6f",
"deliveryId": null,
"watermark": null,
"messageNumber": null,
"status": "processing",
"pagesCount": 1,
"pagesComplete": 0,
"duration": null,
"faxNumber": "+19206505920",
"faxCsid": "mFax",
"faxCallerId": "5094570000",
"faxECM": null,
"faxSpeed": null,
"faxDetected": null,
"faxProtocol": null,
"faxAttempt": null,
"direction": "outbound",
"channelType": "api",
"recipientName": null,
"subject": null,
"deviceId": null,
"faxbridgeId": null,
"accountId": "efaa36f7-d9a0-493f-a3aa-0cb1114eea0c",
"errorCode": null,
"resultCode": "0",
"isArchived": false,
"isFilePurged": false,
"country": "US",
"createdAt": "2021-06-02T13:35:18.000Z",
"resolvedDate": null,
"deletedAt": null,
"faxbridge_id": null,
"users": [
{
"avatarPath": null,
"userId": "c7ef70fc-7563-4b47-95bc-a951a636bb71",
"uuid": "c7ef70fc-7563-4b47-95bc-a951a636bb71",
"email": "test@tester.com",
"firstName": "Test",
"lastName": "Tester",
"accountId": "efaa36f7-d9a0-493f-a3aa-0cb1114eea0c",
"avatar": null,
"UserFax": {
"viewStatus": true,
"downloadStatus": false
}
}
],
"account": {
"uuid": "efaa36f7-d9a0-493f-a3aa-0cb1114eea0c",
"accountNumber": "1201734191",
"accountName": "Drensys",
"accountType": "master"
},
"tags": [],
"faxbridge": null,
"contacts": [],
"cf": {},
"device": null
}"""

# POST /v1/faxes/multiple
# Fixed: removed the `// Error message example` comment (JSON has no comments).
SEND_MULTIPLE = r"""{
"success": [
{
"accountId":"6c838c7c-cb48-4763-84d6-233b5f8cf782",
"channelType":"web",
"direction":"outbound",
"createdAt":"2021-01-01T12:00:00.000Z",
"deletedAt":null,
"deliveryId":"2180614133420933276",
"duration":86318,
"faxAttempt":1,
"faxbridge":null,
"faxbridgeId":null,
"faxCallerId":"5094570051",
"faxCsid":"mFax",
"faxDetected":true,
"faxECM":256,
"faxNumber":"+18885550000",
"faxProtocol":34,
"faxSpeed":33600,
"isArchived":false,
"isFilePurged":false,
"messageId":"027012f1-80c9-4be5-b093-1f54783dfa3b",
"messageNumber":"8900000",
"pagesComplete":3,
"pagesCount":3,
"status":"success",
"resolvedDate":"2021-01-01T12:00:30.000Z",
"resultCode": "0",
"resultInfo": "OK",
"contacts":[],
"tags":[],
"users":[],
"cf": {
"customField": "value"
}
}
],
"errors": [
{
"error" : "InvalidInputError: No files and cover page in to send.",
"recipientFax" : "12015234232"
}
]
}"""

# POST /v1/fax/resend
RESEND = r"""{
"success": [
{
"accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"channelType": "web",
"direction": "outbound",
"createdAt": "2018-01-01T12:00:00.000Z",
"deletedAt": null,
"deliveryId": "2180614133420933276",
"duration": 86318,
"faxAttempt": 1,
"faxbridgeId": 210000000000,
"faxCallerId": "5094570051",
"faxCsid": "mFax",
"faxDetected": true,
"faxECM": 256,
"faxNumber": "+18885550000",
"faxProtocol": 34,
"faxSpeed": 33600,
"isArchived": false,
"isFilePurged": false,
"messageId": "027012f1-80c9-4be5-b093-1f54783dfa3b",
"messageNumber": "8900000",
"pagesComplete": 3,
"pagesCount": 3,
"status": "success",
"resolvedDate": "2018-01-01T12:00:00.000Z",
"resultCode": "0",
"resultInfo": "OK",
"contacts": [],
"tags": [],
"users": [],
"faxbridge": {
"deviceCode": "210000000000",
"name": "FaxBridge",
"isActive": true
},
"cf": {
"customField": "value"
}
}
],
"errors": []
}"""

# POST /v1/fax/{messageId}/cancel
# Fixed: added the missing comma after `"contacts":[]`, removed the trailing comma after `faxbridge`.
CANCEL = r"""{
"accountId":"6c838c7c-cb48-4763-84d6-233b5f8cf782",
"channelType":"web",
"direction":"outbound",
"createdAt":"2018-01-01T12:00:00.000Z",
"deletedAt":null,
"deliveryId":null,
"duration":null,
"faxAttempt":null,
"faxbridgeId":210000000000,
"faxCallerId":"5094570051",
"faxCsid":"mFax",
"faxDetected":true,
"faxECM":256,
"faxNumber":"+18885550000",
"faxProtocol":null,
"faxSpeed":null,
"isArchived":false,
"isFilePurged":false,
"isRead":false,
"messageId":"027012f1-80c9-4be5-b093-1f54783dfa3b",
"messageNumber":null,
"pagesComplete":null,
"pagesCount":3,
"status":"cancelled",
"resolvedDate":null,
"resultCode": null,
"resultInfo": null,
"contacts":[],
"tags":[],
"users":[],
"faxbridge": {
"deviceCode": "210000000000",
"name": "FaxBridge",
"isActive": true
}
}"""

# PATCH /v1/fax/{messageId}
# Fixed: added the missing comma after `"contacts":[]`, removed the trailing comma after `faxbridge`.
UPDATE_FAX = r"""{
"accountId":"6c838c7c-cb48-4763-84d6-233b5f8cf782",
"channelType":"web",
"direction":"outbound",
"createdAt":"2018-01-01T12:00:00.000Z",
"deletedAt":null,
"deliveryId":"2180614133420933276",
"duration":86318,
"faxAttempt":1,
"faxbridgeId":210000000000,
"faxCallerId":"5094570051",
"faxCsid":"mFax",
"faxDetected":true,
"faxECM":256,
"faxNumber":"+18885550000",
"faxProtocol":34,
"faxSpeed":33600,
"isArchived":false,
"isFilePurged":false,
"isRead":false,
"messageId":"027012f1-80c9-4be5-b093-1f54783dfa3b",
"messageNumber":"8900000",
"pagesComplete":3,
"pagesCount":3,
"status":"success",
"resolvedDate":"2018-01-01T12:00:00.000Z",
"resultCode": "0",
"resultInfo": "OK",
"contacts":[],
"tags":[],
"users":[],
"faxbridge": {
"deviceCode": "210000000000",
"name": "FaxBridge",
"isActive": true
}
}"""

# GET /v1/fax/history
# Fixed: removed the `...` row placeholder and the comma before it.
HISTORY = r"""{
"count": "99",
"rows": [
{
"accountId":"6c838c7c-cb48-4763-84d6-233b5f8cf782",
"channelType":"web",
"direction":"outbound",
"createdAt":"2018-01-01T12:00:00.000Z",
"deletedAt":null,
"deliveryId":"2180614133420933276",
"duration":86318,
"faxAttempt":1,
"faxbridge":null,
"faxbridgeId":null,
"faxCallerId":"5094570051",
"faxCsid":"mFax",
"faxDetected":true,
"faxECM":256,
"faxNumber":"+18885550000",
"faxProtocol":34,
"faxSpeed":33600,
"isArchived":false,
"isFilePurged":false,
"isRead":false,
"messageId":"027012f1-80c9-4be5-b093-1f54783dfa3b",
"messageNumber":"8900000",
"pagesComplete":3,
"pagesCount":3,
"status":"success",
"resolvedDate":"2018-01-01T12:00:00.000Z",
"resultCode": "0",
"resultInfo": "OK",
"contacts":[],
"tags":[],
"users":[],
"cf": {
"customField": "value"
}
}
],
"query": {
"limit": 0,
"offset": 20
}
}"""

# GET /v1/fax/{messageId}/info
FAX_INFO = r"""{
"accountId": "00000000-0000-0000-0000-000000000000",
"channelType": "web",
"direction": "outbound",
"createdAt": "2018-01-01T12:00:00.000Z",
"deletedAt": null,
"deliveryId": "2180614133420933276",
"duration": 86318,
"faxAttempt": 1,
"faxbridgeId": null,
"faxCallerId": "5094570051",
"faxCsid": "mFax",
"faxDetected": true,
"faxECM": 256,
"faxNumber": "+18885550000",
"faxProtocol": 34,
"faxSpeed": 33600,
"isArchived": false,
"isFilePurged": false,
"messageId": "027012f1-80c9-4be5-b093-1f54783dfa3b",
"messageNumber": "8900000",
"pagesComplete": 3,
"pagesCount": 3,
"status": "success",
"resolvedDate": "2018-01-01T12:00:00.000Z",
"resultCode": "0",
"resultInfo": "OK",
"contacts": [],
"tags": [],
"faxbridge": {
"deviceCode": "210000000000",
"name": "FaxBridge",
"isActive": true
},
"users": [
{
"userId": "7b667809-c88f-4a27-b1fe-2cc932401e15",
"firstName": "John",
"lastName": "Snow",
"email": "john@snow.com"
}
],
"account": {
"uuid": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"supportCode": "1201800000",
"companyName": "Winterfell"
}
}"""

# GET /coverpages
# Fixed: the template's raw line breaks (invalid inside a JSON string) are written as `\n`;
# removed the `...` placeholder and the comma before it.
COVER_PAGES = r"""[
{
"uuid": "00000000-0000-0000-0000-000000000000",
"name": "Default",
"template": "Fax Transmission\n\n\n\n\n\n\nTo: ${tokens.recipientName} \nFrom: ${tokens.senderName} \n \n\nFax: ${tokens.recipientFax} \nFax: ${tokens.callerId} \n \n\nRE: ${tokens.subject} \nDate: ${tokens.date} \n \n\nPages: ${tokens.pages} \n \n\n\n\n\n\nComments: ${tokens.notes}\n",
"accountId": null,
"userId": null,
"isPublic": true,
"previewLink": "https://storage.googleapis.com/drenfax-storage/coverpages/00000000-0000-0000-0000-000000000000.png"
}
]"""

# GET /v1/numbers
# Fixed: removed the trailing comma after `"name": "FaxBridge"`.
NUMBERS = r"""{
"rows": [
{
"uuid": "04d651f6-5092-44a1-bbd4-822a0ab43d29",
"number": "3144508380",
"pendingUntil": null,
"ownedBy": "8d3165b3-d23c-4cb4-9bee-b33013c008f7",
"managedBy": "8d3165b3-d23c-4cb4-9bee-b33013c008f7",
"faxbridge": {
"deviceCode": "210000000000",
"name": "FaxBridge"
},
"users": [
{
"userId": "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de",
"accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"email": "example@mail.com",
"firstName": "John",
"lastName": "Doe",
"avatarUrl": null
}
],
"owner": {
"uuid": "00000000-0000-0000-0000-000000000000",
"accountNumber": "1200000000",
"accountName": "Night’s Watch",
"accountType": "customer"
},
"manager": {
"uuid": "00000000-0000-0000-0000-000000000000",
"accountNumber": "1200000000",
"accountName": "Night’s Watch",
"accountType": "customer"
}
}
],
"count": 1718,
"limit": 100,
"offset": 0
}"""

# POST /v1/numbers/{numberId}/user/{userId}
ADD_NUMBER_USER = r"""{
"uuid": "7cd0224e-ee05-4f32-9f56-9a4ebf83a38c",
"number": "3122833994",
"pendingUntil": null,
"ownedBy": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"createdAt": "2017-06-06T11:37:14.000Z",
"users": [
{
"userId": "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de",
"accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"email": "example@mail.com",
"firstName": "John",
"lastName": "Doe",
"avatarUrl": null
}
],
"manager": {
"uuid": "00000000-0000-0000-0000-000000000000",
"accountNumber": "1200000000",
"accountName": "Night’s Watch",
"accountType": "customer"
}
}"""

# POST /v1/numbers/provision
PROVISION = r"""[
{
"uuid": "2d65b607-1833-4576-b497-650b56d6346b",
"number": "8440000000",
"pendingUntil": null,
"ownedBy": "f6309861-9ca9-44ea-84ab-a193615e4936",
"managedBy": "f6309861-9ca9-44ea-84ab-a193615e4936",
"createdAt": "2017-06-26T15:35:13.000Z",
"owner": {
"uuid": "00000000-0000-0000-0000-000000000000",
"accountNumber": "1200000000",
"accountName": "Night’s Watch",
"accountType": "customer"
},
"manager": {
"uuid": "00000000-0000-0000-0000-000000000000",
"accountNumber": "1200000000",
"accountName": "Night’s Watch",
"accountType": "customer"
}
}
]"""

# GET /v1/numbers/provision/search
# Fixed: removed the trailing comma after `"preferable": true`, the `...` placeholder and the comma before it.
SEARCH = r"""{
"result": [
{
"number_e164": "+17025551234",
"regional_data": {
"country_iso": "US",
"rate_center": "LAS VEGAS",
"state": "NV"
},
"preferable": true
}
],
"limit": 10
}"""

# PATCH /v1/numbers/{numberId}
UPDATE_NUMBER = r"""{
"uuid": "7cd0224e-ee05-4f32-9f56-9a4ebf83a38c",
"number": "3122833994",
"pendingUntil": null,
"storage": "{\"protocol\":\"ftp\",\"host\":\"example.com\",\"outputDirPath\":\"uploads/\",\"password\":\"password\",\"user\":\"user\",\"port\":21}",
"ownedBy": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"createdAt": "2017-06-06T11:37:14.000Z",
"users": [
{
"userId": "fdb9f0dd-ac0c-4f3e-8e4b-1be0225186de",
"accountId": "6c838c7c-cb48-4763-84d6-233b5f8cf782",
"email": "example@mail.com",
"firstName": "John",
"lastName": "Doe",
"avatarUrl": null
}
],
"manager": {
"uuid": "00000000-0000-0000-0000-000000000000",
"accountNumber": "1200000000",
"accountName": "Drenfax",
"accountType": "customer"
}
}"""

# GET /v1/numbers/validate
VALIDATE = r"""{
"isValid": false
}"""
