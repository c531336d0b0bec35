import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 description of the whole HTTP API.
///
/// Written by hand next to the routes and kept true by `OpenAPITests`, which checks that every
/// route of the router is described here with its method and that nothing described is missing
/// from the router. The text is compiled in (not a resource file), so an installed binary serves
/// it wherever it lives.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Assignment Dispatch",
    "version": "1",
    "summary": "End-to-end encrypted assignment dispatch for volunteer organisations.",
    "description": "The server only ever holds ciphertext: devices seal and open envelopes (docs/envelope.md). Every error is application/problem+json with a stable code (docs/http.md). Dates are ISO 8601. Request bodies are strict: unknown members are refused."
  },
  "servers": [{ "url": "http://127.0.0.1:8080" }],
  "security": [{ "bearer": [] }],
  "paths": {
    "/healthz": {
      "get": {
        "operationId": "health", "security": [], "summary": "200 when the database is reachable, 503 otherwise.",
        "responses": {
          "200": { "description": "Healthy.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Health" } } } },
          "503": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/metrics": {
      "get": {
        "operationId": "metrics", "security": [], "summary": "Prometheus text exposition: requests by route template and status.",
        "responses": { "200": { "description": "Metrics.", "content": { "text/plain": { "schema": { "type": "string" } } } } }
      }
    },
    "/openapi.json": {
      "get": {
        "operationId": "openAPI", "security": [], "summary": "This document.",
        "responses": { "200": { "description": "The OpenAPI document.", "content": { "application/json": { "schema": { "type": "object" } } } } }
      }
    },
    "/feeds/{file}": {
      "get": {
        "operationId": "calendarFeed", "security": [], "summary": "A masked calendar feed (docs/feeds.md); the secret token in the address is the only credential.",
        "parameters": [
          { "name": "file", "in": "path", "required": true, "description": "The feed's token and .ics.", "schema": { "type": "string", "pattern": "^cal_[A-Za-z0-9_-]{43}\\.ics$" } },
          { "name": "If-None-Match", "in": "header", "schema": { "type": "string" } },
          { "name": "If-Modified-Since", "in": "header", "schema": { "type": "string" } }
        ],
        "responses": {
          "200": { "description": "RFC 5545 iCalendar, with ETag and Last-Modified.", "content": { "text/calendar": { "schema": { "type": "string" } } } },
          "304": { "description": "Unchanged since the ETag or date given." },
          "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/users/{user}/feed": {
      "get": {
        "operationId": "showFeed", "parameters": [{ "$ref": "#/components/parameters/FeedUser" }], "summary": "The user's live calendar feed (never its address).",
        "responses": {
          "200": { "description": "The feed.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Feed" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" }
        }
      },
      "post": {
        "operationId": "issueFeed", "parameters": [{ "$ref": "#/components/parameters/FeedUser" }], "summary": "Make the user's calendar feed, or rotate it (the old address stops at once). The answer is the only one that holds the address.",
        "requestBody": { "required": false, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/FeedSettings" } } } },
        "responses": {
          "201": { "description": "The feed and its address.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/IssuedFeed" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      },
      "delete": {
        "operationId": "revokeFeed", "parameters": [{ "$ref": "#/components/parameters/FeedUser" }], "summary": "Revoke the user's calendar feed: its address answers 404 from now on.",
        "responses": {
          "204": { "description": "Revoked." },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/me": {
      "get": {
        "operationId": "me", "summary": "The signed-in user.",
        "responses": {
          "200": { "description": "The user.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } },
          "401": { "$ref": "#/components/responses/Problem" }, "429": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/keys": {
      "post": {
        "operationId": "registerKey", "summary": "Register this device's public keys.",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/KeyRegistration" } } } },
        "responses": {
          "201": { "description": "Registered.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeviceKey" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" }, "413": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/users/{user}/keys": {
      "get": {
        "operationId": "userKeys", "summary": "A user's active keys (status=all adds retired and revoked ones), by id or handle, in the caller's organisation.",
        "parameters": [
          { "name": "user", "in": "path", "required": true, "description": "A user id or handle.", "schema": { "type": "string", "maxLength": 64 } },
          { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["active", "all"] } }
        ],
        "responses": {
          "200": { "description": "The keys.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/UserKeys" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/keys/{id}/retire": {
      "post": {
        "operationId": "retireKey", "summary": "Retire a key: it still opens old assignments, receives nothing new. Its owner or an org admin.",
        "parameters": [{ "$ref": "#/components/parameters/ID" }],
        "responses": {
          "200": { "description": "Retired.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeviceKey" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/keys/{id}/revoke": {
      "post": {
        "operationId": "revokeKey", "summary": "Revoke a key (lost device): nothing sealed to it is handed out any more. Its owner or an org admin.",
        "parameters": [{ "$ref": "#/components/parameters/ID" }],
        "responses": {
          "200": { "description": "Revoked.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeviceKey" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/assignments": {
      "post": {
        "operationId": "dispatch", "summary": "Dispatch an envelope sealed on the coordinator's device, under the id it chose (coordinators and admins).",
        "parameters": [{ "name": "Idempotency-Key", "in": "header", "description": "1 to 255 visible ASCII characters. A retry with the same key and body gets the stored answer.", "schema": { "type": "string", "maxLength": 255 } }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DispatchRequest" } } } },
        "responses": {
          "201": {
            "description": "Dispatched (or, with Idempotent-Replayed: true, the stored answer of the first request).",
            "headers": { "Idempotent-Replayed": { "schema": { "type": "string", "enum": ["true"] } } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Dispatched" } } }
          },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "413": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      },
      "get": {
        "operationId": "overview", "summary": "The status overview: open assignments in the caller's scope, most urgent first (a peer mentor's own: the inbox).",
        "parameters": [
          { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["dispatched", "delivered", "read", "acknowledged"] } },
          { "name": "peer_mentor", "in": "query", "description": "A peer mentor's id or handle.", "schema": { "type": "string", "maxLength": 64 } },
          { "name": "region", "in": "query", "schema": { "type": "string", "maxLength": 100 } },
          { "name": "overdue", "in": "query", "schema": { "type": "boolean" } },
          { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 50 } },
          { "name": "cursor", "in": "query", "description": "next_cursor of the previous page.", "schema": { "type": "string", "maxLength": 400 } }
        ],
        "responses": {
          "200": { "description": "A page.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Overview" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/assignments/{id}": {
      "get": {
        "operationId": "assignment", "summary": "An assignment's metadata, for its peer mentor and the organisation's coordinators and admins.",
        "parameters": [{ "$ref": "#/components/parameters/ID" }],
        "responses": {
          "200": { "description": "The assignment.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "404": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/assignments/{id}/envelope": {
      "get": {
        "operationId": "envelope", "summary": "The envelope for one of the recipient's devices; the first download records delivery.",
        "parameters": [
          { "$ref": "#/components/parameters/ID" },
          { "name": "device", "in": "query", "required": true, "description": "This device's key fingerprint, 64 hex digits.", "schema": { "type": "string", "pattern": "^[0-9a-f]{64}$" } }
        ],
        "responses": {
          "200": { "description": "The envelope (docs/envelope.md).", "content": { "application/octet-stream": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "410": { "$ref": "#/components/responses/Problem" },
          "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/assignments/{id}/consent": { "post": { "operationId": "consent", "summary": "The peer mentor consents to receive the case information.", "parameters": [{ "$ref": "#/components/parameters/ID" }], "responses": {
      "200": { "description": "The assignment after the change.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
      "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
      "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
    } } },
    "/v1/assignments/{id}/read": { "post": { "operationId": "read", "summary": "The peer mentor's device opened it (read receipt).", "parameters": [{ "$ref": "#/components/parameters/ID" }], "responses": {
      "200": { "description": "The assignment after the change.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
      "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
      "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
    } } },
    "/v1/assignments/{id}/acknowledge": { "post": { "operationId": "acknowledge", "summary": "The peer mentor confirms and takes it on.", "parameters": [{ "$ref": "#/components/parameters/ID" }], "responses": {
      "200": { "description": "The assignment after the change.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
      "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
      "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
    } } },
    "/v1/assignments/{id}/contact": { "post": { "operationId": "contact", "summary": "The peer mentor made contact (stops reminders).", "parameters": [{ "$ref": "#/components/parameters/ID" }], "responses": {
      "200": { "description": "The assignment after the change.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
      "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
      "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
    } } },
    "/v1/assignments/{id}/complete": { "post": { "operationId": "complete", "summary": "The assignment is done.", "parameters": [{ "$ref": "#/components/parameters/ID" }], "responses": {
      "200": { "description": "The assignment after the change.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
      "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
      "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
    } } },
    "/v1/honorarium/{user}": {
      "get": {
        "operationId": "honorarium", "summary": "A peer mentor's honorarium count, tier and history for a period (peer mentors: their own only).",
        "parameters": [
          { "name": "user", "in": "path", "required": true, "description": "A user id or handle.", "schema": { "type": "string", "maxLength": 64 } },
          { "name": "period", "in": "query", "description": "A year; default the current one in the organisation's time zone.", "schema": { "type": "string", "pattern": "^[0-9]{4}$" } }
        ],
        "responses": {
          "200": { "description": "The statement.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/HonorariumStatement" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "404": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/reports/honorarium": {
      "get": {
        "operationId": "honorariumReport", "summary": "The organisation's honorarium report for a year, as CSV (organisation admins).",
        "parameters": [
          { "name": "period", "in": "query", "required": true, "schema": { "type": "string", "pattern": "^[0-9]{4}$" } },
          { "name": "format", "in": "query", "description": "excel: semicolons and a byte order mark.", "schema": { "type": "string", "enum": ["csv", "excel"] } },
          { "name": "language", "in": "query", "description": "Column headings: en (stable identifiers, the default) or nb.", "schema": { "type": "string", "enum": ["en", "nb"] } }
        ],
        "responses": {
          "200": { "description": "RFC 4180 CSV, UTF-8; columns in docs/honorarium.md.", "content": { "text/csv": { "schema": { "type": "string" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/audit/extract": {
      "get": {
        "operationId": "auditExtract", "summary": "The organisation's audit extract for a time range (organisation and global admins): entries as JSON Lines, then the manifest line, then the signature line (docs/audit.md).",
        "parameters": [
          { "name": "from", "in": "query", "required": true, "description": "A day (in the organisation's time zone) or an exact ISO 8601 time.", "schema": { "type": "string", "maxLength": 40 } },
          { "name": "to", "in": "query", "required": true, "description": "The last day, included (or an exact end time, excluded).", "schema": { "type": "string", "maxLength": 40 } }
        ],
        "responses": {
          "200": { "description": "The extract; check it with dispatch audit verify FILE.", "content": { "application/x-ndjson": { "schema": { "type": "string" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" },
          "403": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/assignments/{id}/honorarium/void": {
      "post": {
        "operationId": "voidHonorarium", "summary": "An organisation admin takes a counted assignment out of the count; tiers no longer reached are marked reversed.",
        "parameters": [{ "$ref": "#/components/parameters/ID" }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Cancellation" } } } },
        "responses": {
          "200": { "description": "The statement after the correction.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/HonorariumStatement" } } } },
          "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
          "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
        }
      }
    },
    "/v1/assignments/{id}/cancel": {
      "post": {
        "operationId": "cancel", "summary": "Cancel with a reason (coordinators and admins); the ciphertext and sealed keys are destroyed at once.",
        "parameters": [{ "$ref": "#/components/parameters/ID" }],
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Cancellation" } } } },
        "responses": {
      "200": { "description": "The assignment after the change.", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Assignment" } } } },
      "400": { "$ref": "#/components/responses/Problem" }, "401": { "$ref": "#/components/responses/Problem" }, "403": { "$ref": "#/components/responses/Problem" },
      "404": { "$ref": "#/components/responses/Problem" }, "409": { "$ref": "#/components/responses/Problem" }, "422": { "$ref": "#/components/responses/Problem" }
    }
      }
    }
  },
  "components": {
    "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "A token from 'dispatch tokens issue' (adt_…)." } },
    "parameters": {
      "ID": { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
      "FeedUser": { "name": "user", "in": "path", "required": true, "description": "me, a user id or a handle; someone else's feed needs an organisation admin.", "schema": { "type": "string", "maxLength": 64 } }
    },
    "responses": {
      "Problem": { "description": "An RFC 9457 problem; code is stable.", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
    },
    "schemas": {
      "Problem": {
        "type": "object", "required": ["type", "title", "status", "detail", "code"],
        "properties": { "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" }, "code": { "type": "string" } }
      },
      "Health": { "type": "object", "properties": { "status": { "type": "string" }, "database": { "type": "string" } } },
      "User": {
        "type": "object", "required": ["id", "organization_id", "handle", "role", "status"],
        "properties": {
          "id": { "type": "string", "format": "uuid" }, "organization_id": { "type": "string", "format": "uuid" },
          "local_association_id": { "type": ["string", "null"], "format": "uuid" }, "handle": { "type": "string" },
          "role": { "type": "string", "enum": ["peer_mentor", "coordinator", "org_admin", "global_admin"] },
          "status": { "type": "string", "enum": ["active", "paused", "deactivated"] }
        }
      },
      "Feed": {
        "type": "object", "required": ["id", "organization_id", "user_id", "handle", "language", "created_at"],
        "properties": {
          "id": { "type": "string", "format": "uuid" }, "organization_id": { "type": "string", "format": "uuid" },
          "user_id": { "type": "string", "format": "uuid" }, "handle": { "type": "string" },
          "language": { "type": "string", "enum": ["nb", "en"] }, "created_at": { "type": "string", "format": "date-time" }
        }
      },
      "FeedSettings": {
        "type": "object", "additionalProperties": false,
        "properties": { "language": { "type": "string", "enum": ["nb", "en"], "description": "Default: the replaced feed's, or nb." } }
      },
      "IssuedFeed": {
        "type": "object", "required": ["feed", "url", "webcal_url", "replaced"],
        "properties": {
          "feed": { "$ref": "#/components/schemas/Feed" }, "url": { "type": "string" }, "webcal_url": { "type": "string" },
          "replaced": { "type": "boolean", "description": "Whether an earlier address was revoked to make this one." }
        }
      },
      "KeyRegistration": {
        "type": "object", "required": ["encryption_public_key", "signing_public_key"], "additionalProperties": false,
        "properties": {
          "encryption_public_key": { "type": "string", "contentEncoding": "base64", "description": "X25519, 32 bytes." },
          "signing_public_key": { "type": "string", "contentEncoding": "base64", "description": "Ed25519, 32 bytes." },
          "label": { "type": "string", "maxLength": 100 }
        }
      },
      "DeviceKey": {
        "type": "object",
        "properties": {
          "id": { "type": "string", "format": "uuid" }, "user_id": { "type": "string", "format": "uuid" }, "label": { "type": ["string", "null"] },
          "encryption_public_key": { "type": "string" }, "signing_public_key": { "type": "string" },
          "fingerprint": { "type": "string", "pattern": "^[0-9a-f]{64}$" }, "fingerprint_read_aloud": { "type": "array", "items": { "type": "string" } },
          "status": { "type": "string", "enum": ["active", "retired", "revoked"] }, "created_at": { "type": "string", "format": "date-time" }
        }
      },
      "UserKeys": {
        "type": "object",
        "properties": { "user_id": { "type": "string", "format": "uuid" }, "handle": { "type": "string" }, "keys": { "type": "array", "items": { "$ref": "#/components/schemas/DeviceKey" } } }
      },
      "DispatchRequest": {
        "type": "object", "required": ["id", "recipient_id", "title", "envelope"], "additionalProperties": false,
        "properties": {
          "id": { "type": "string", "format": "uuid", "description": "Chosen by the device and sealed into the envelope; accepted only if new." },
          "recipient_id": { "type": "string", "format": "uuid" }, "local_association_id": { "type": "string", "format": "uuid" },
          "title": { "type": "string", "maxLength": 120, "description": "No personal data (screened)." },
          "coordinator_notes": { "type": "string", "maxLength": 2000, "description": "No personal data (screened)." },
          "assignment_type": { "type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$" },
          "priority": { "type": "string", "enum": ["low", "normal", "high"] }, "is_urgent": { "type": "boolean" },
          "requires_consent": { "type": "boolean" }, "honorarium_eligible": { "type": "boolean" },
          "geographic_region": { "type": "string", "maxLength": 100 },
          "expires_at": { "type": "string", "format": "date-time" }, "contact_deadline_at": { "type": "string", "format": "date-time" },
          "envelope": { "type": "string", "contentEncoding": "base64", "description": "The envelope's bytes (docs/envelope.md)." }
        }
      },
      "Cancellation": { "type": "object", "required": ["reason"], "additionalProperties": false, "properties": { "reason": { "type": "string", "maxLength": 500 } } },
      "Finding": {
        "type": "object",
        "properties": { "kind": { "type": "string" }, "start": { "type": "integer" }, "length": { "type": "integer" } }
      },
      "Dispatched": {
        "type": "object",
        "properties": { "assignment": { "$ref": "#/components/schemas/Assignment" }, "warnings": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } } }
      },
      "Assignment": {
        "type": "object",
        "properties": {
          "id": { "type": "string", "format": "uuid" }, "organization_id": { "type": "string", "format": "uuid" },
          "coordinator_id": { "type": "string", "format": "uuid" }, "peer_mentor_id": { "type": "string", "format": "uuid" },
          "title": { "type": "string" }, "coordinator_notes": { "type": ["string", "null"], "description": "Shown to coordinators and admins only." },
          "status": { "type": "string", "enum": ["draft", "dispatched", "delivered", "read", "acknowledged", "completed", "cancelled", "expired"] },
          "priority": { "type": "string" }, "is_urgent": { "type": "boolean" }, "requires_consent": { "type": "boolean" },
          "consent_given_at": { "type": ["string", "null"], "format": "date-time" }, "dispatched_at": { "type": ["string", "null"], "format": "date-time" },
          "delivered_at": { "type": ["string", "null"], "format": "date-time" }, "read_at": { "type": ["string", "null"], "format": "date-time" },
          "acknowledged_at": { "type": ["string", "null"], "format": "date-time" }, "contact_made_at": { "type": ["string", "null"], "format": "date-time" },
          "completed_at": { "type": ["string", "null"], "format": "date-time" }, "cancelled_at": { "type": ["string", "null"], "format": "date-time" },
          "cancellation_reason": { "type": ["string", "null"] }, "expires_at": { "type": ["string", "null"], "format": "date-time" },
          "contact_deadline_at": { "type": ["string", "null"], "format": "date-time" }, "payload_destroyed": { "type": "boolean" },
          "reminder_count": { "type": "integer" }, "next_reminder_at": { "type": ["string", "null"], "format": "date-time" }
        }
      },
      "OverviewEntry": {
        "type": "object",
        "properties": {
          "id": { "type": "string", "format": "uuid" }, "title": { "type": "string" }, "status": { "type": "string" },
          "coordinator_id": { "type": "string", "format": "uuid" }, "peer_mentor_id": { "type": "string", "format": "uuid" }, "peer_mentor_handle": { "type": "string" },
          "geographic_region": { "type": ["string", "null"] }, "priority": { "type": "string" }, "is_urgent": { "type": "boolean" },
          "requires_consent": { "type": "boolean" }, "consent_given_at": { "type": ["string", "null"], "format": "date-time" },
          "dispatched_at": { "type": ["string", "null"], "format": "date-time" }, "delivered_at": { "type": ["string", "null"], "format": "date-time" },
          "read_at": { "type": ["string", "null"], "format": "date-time" }, "acknowledged_at": { "type": ["string", "null"], "format": "date-time" },
          "contact_made_at": { "type": ["string", "null"], "format": "date-time" },
          "contact_deadline": { "type": "string", "format": "date-time", "description": "The contact deadline, or without one the first reminder time." },
          "overdue": { "type": "boolean" }, "reminder_count": { "type": "integer" }, "reminder_sent_at": { "type": ["string", "null"], "format": "date-time" },
          "next_reminder_at": { "type": ["string", "null"], "format": "date-time" }, "expires_at": { "type": ["string", "null"], "format": "date-time" }
        }
      },
      "HonorariumStatement": {
        "type": "object",
        "properties": {
          "user_id": { "type": "string", "format": "uuid" }, "handle": { "type": "string" }, "period": { "type": "string" },
          "counted": { "type": "integer" }, "tier_reached": { "type": ["integer", "null"] }, "next_tier": { "type": ["integer", "null"] },
          "tiers": { "type": "array", "items": { "type": "integer" } },
          "entries": { "type": "array", "items": { "type": "object", "properties": {
            "assignment_id": { "type": "string", "format": "uuid" }, "number": { "type": "integer" }, "counted_at": { "type": "string", "format": "date-time" },
            "voided_at": { "type": ["string", "null"], "format": "date-time" }, "void_reason": { "type": ["string", "null"] } } } },
          "tier_events": { "type": "array", "items": { "type": "object", "properties": {
            "tier": { "type": "integer" }, "assignment_id": { "type": ["string", "null"], "format": "uuid" }, "crossed_at": { "type": "string", "format": "date-time" },
            "reversed_at": { "type": ["string", "null"], "format": "date-time" }, "reversal_reason": { "type": ["string", "null"] } } } }
        }
      },
      "Overview": {
        "type": "object",
        "properties": {
          "as_of": { "type": "string", "format": "date-time" },
          "counts": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "Per open status, over every filter but status." },
          "overdue_count": { "type": "integer" },
          "assignments": { "type": "array", "items": { "$ref": "#/components/schemas/OverviewEntry" } },
          "next_cursor": { "type": ["string", "null"] }
        }
      }
    }
  }
}
"""#
}

/// Serves ``OpenAPIDocument``.
struct OpenAPIController {
    func addRoutes(to router: Router<DispatchRequestContext>) {
        router.get("/openapi.json") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
    }
}
