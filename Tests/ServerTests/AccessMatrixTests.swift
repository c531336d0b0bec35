import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// Every endpoint (the list is checked against the router), as every role, in the own organisation
/// and in another, and with no token: the exact answer each gets, and that a refused call changed
/// no row of any table. Guessed ids are answered like missing ones; an organisation's exports hold
/// nothing of another's.
@Suite("Access matrix: every endpoint × every role × own and other organisation")
struct AccessMatrixTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    /// The people: in organisation A the recipient peer mentor, another peer mentor, the dispatching
    /// coordinator, another coordinator, an organisation admin and a global admin; in B a coordinator,
    /// a peer mentor and an organisation admin; and A's compliance officer, who reads audit, sweeps and
    /// reports but sees no assignment.
    static let actors = ["mentor", "mentor2", "coord", "coord2", "admin", "global", "compliance", "b-coord", "b-mentor", "b-admin"]

    struct Cast {
        var users: [String: UserRecord] = [:]
        var tokens: [String: String] = [:]
        var devices: [String: DeviceKeyPair] = [:]
        var organization: OrganizationID
    }

    func cast(_ accounts: AccountStore) async throws -> Cast {
        let a = try await accounts.createOrganization(name: "A", at: clock.now)
        let b = try await accounts.createOrganization(name: "B", at: clock.now)
        var cast = Cast(organization: a.id)
        let roles: [String: (OrganizationID, Role)] = [
            "mentor": (a.id, .peerMentor), "mentor2": (a.id, .peerMentor), "coord": (a.id, .coordinator), "coord2": (a.id, .coordinator),
            "admin": (a.id, .organizationAdmin), "global": (a.id, .globalAdmin), "compliance": (a.id, .complianceOfficer),
            "b-coord": (b.id, .coordinator), "b-mentor": (b.id, .peerMentor), "b-admin": (b.id, .organizationAdmin),
        ]
        let keys = DeviceKeyStore(database: accounts.database)
        for (handle, (organization, role)) in roles {
            let user = try await accounts.addUser(to: organization, handle: handle, role: role, at: clock.now)
            cast.users[handle] = user
            cast.tokens[handle] = try await accounts.issueToken(for: handle, in: organization, lifetime: 86_400, at: clock.now).token
            let device = try DeviceKeyPair.generate()
            cast.devices[handle] = device
            _ = try await keys.register(device.publicKeys, label: nil, for: user.context, at: clock.now)
        }
        return cast
    }

    /// A fresh assignment from coord to mentor, moved on to `status` by the mentor.
    func assignment(_ cast: Cast, _ store: AssignmentStore, status: AssignmentStatus = .dispatched, consent: Bool = false) async throws -> AssignmentID {
        let id = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: cast.organization.uuid, sender: cast.devices["coord"]!,
            recipients: [cast.devices["mentor"]!.publicKeys])
        _ = try await store.dispatch(
            DispatchSubmission(id: id, recipientID: cast.users["mentor"]!.id, title: "Oppdrag", requiresConsent: consent, envelope: envelope.serialized),
            by: cast.users["coord"]!.context, at: clock.now)
        let mentor = cast.users["mentor"]!.context
        let path: [AssignmentStatus] = [.read, .acknowledged]
        for step in path.prefix(while: { _ in status != .dispatched }) {
            _ = try await store.transition(id, to: step, by: mentor, at: clock.now)
            if step == status { break }
        }
        return id
    }

    struct Case: Sendable {
        /// The route as the router and the contract name it: `POST /v1/assignments/{id}/read`.
        var name: String
        /// Makes what the call needs and returns (method, uri, body) and the id of the assignment it touches, if any.
        var prepare: @Sendable (String) async throws -> (HTTPRequest.Method, String, String?, AssignmentID?)
        var expected: [String: HTTPResponse.Status]
    }

    @Test("each role gets exactly the allowed or refused answer, and refused calls change nothing")
    func matrix() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let cast = try await cast(accounts)
        let store = AssignmentStore(database: accounts.database)
        let keys = DeviceKeyStore(database: accounts.database)
        let feeds = FeedStore(database: accounts.database)
        let clock = self.clock
        func everyone(_ status: HTTPResponse.Status) -> [String: HTTPResponse.Status] { Dictionary(uniqueKeysWithValues: Self.actors.map { ($0, status) }) }
        func ownOrg(_ a: HTTPResponse.Status, otherOrg b: HTTPResponse.Status = .notFound) -> [String: HTTPResponse.Status] {
            Dictionary(uniqueKeysWithValues: Self.actors.map { ($0, $0.hasPrefix("b-") ? b : a) })
        }
        func lifecycle(_ allowed: Set<String>, seeing: HTTPResponse.Status = .forbidden) -> [String: HTTPResponse.Status] {
            // The assignment is visible to its mentor, coordinators and admins of A; hidden (404) from mentor2,
            // the compliance officer and from B.
            Dictionary(uniqueKeysWithValues: Self.actors.map { actor in
                if allowed.contains(actor) { return (actor, .ok) }
                if actor == "mentor2" || actor == "compliance" || actor.hasPrefix("b-") { return (actor, .notFound) }
                return (actor, seeing)
            })
        }
        @Sendable func newKeyOfMentor() async throws -> DeviceKeyID {
            let device = try DeviceKeyPair.generate()
            let registered = try await keys.register(device.publicKeys, label: nil, for: cast.users["mentor"]!.context, at: clock.now)
            return registered.id
        }
        @Sendable func keyBody() throws -> String {
            let device = try DeviceKeyPair.generate()
            return keyRegistrationBody(device.publicKeys)
        }
        let mentorID = cast.users["mentor"]!.id
        let cases: [Case] = [
            Case(name: "GET /v1/me", prepare: { _ in (.get, "/v1/me", nil, nil) }, expected: everyone(.ok)),
            Case(name: "POST /v1/keys", prepare: { _ in (.post, "/v1/keys", try keyBody(), nil) }, expected: everyone(.created)),
            Case(name: "GET /v1/users/{user}/keys", prepare: { _ in (.get, "/v1/users/\(mentorID)/keys", nil, nil) }, expected: ownOrg(.ok)),
            Case(name: "GET /v1/users/{user}/keys (by handle)", prepare: { _ in (.get, "/v1/users/mentor/keys", nil, nil) }, expected: ownOrg(.ok)),
            Case(
                name: "POST /v1/keys/{id}/retire", prepare: { _ in (.post, "/v1/keys/\(try await newKeyOfMentor())/retire", nil, nil) },
                expected: ownOrg(.forbidden).merging(["mentor": .ok, "admin": .ok, "global": .ok]) { $1 }),
            Case(
                name: "POST /v1/keys/{id}/revoke", prepare: { _ in (.post, "/v1/keys/\(try await newKeyOfMentor())/revoke", nil, nil) },
                expected: ownOrg(.forbidden).merging(["mentor": .ok, "admin": .ok, "global": .ok]) { $1 }),
            Case(
                name: "POST /v1/assignments", prepare: { actor in
                    let id = AssignmentID(UUID())
                    let envelope = try EnvelopeSealer().seal(
                        payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: cast.organization.uuid, sender: cast.devices[actor]!,
                        recipients: [cast.devices["mentor"]!.publicKeys])
                    let body = #"{"id":"\#(id)","recipient_id":"\#(mentorID)","title":"Oppdrag","envelope":"\#(Data(envelope.serialized).base64EncodedString())"}"#
                    return (.post, "/v1/assignments", body, nil)
                },
                expected: ownOrg(.created).merging(["mentor": .forbidden, "mentor2": .forbidden, "compliance": .forbidden]) { $1 }),
            Case(name: "GET /v1/assignments", prepare: { _ in (.get, "/v1/assignments", nil, nil) }, expected: everyone(.ok).merging(["compliance": .forbidden]) { $1 }),
            Case(name: "GET /v1/assignments/{id}", prepare: { _ in (.get, "/v1/assignments/\(try await assignment(cast, store))", nil, nil) }, expected: lifecycle([], seeing: .ok).merging(["mentor": .ok]) { $1 }),
            Case(
                name: "GET /v1/assignments/{id}/envelope", prepare: { actor in
                    let id = try await assignment(cast, store)
                    return (.get, "/v1/assignments/\(id)/envelope?device=\(cast.devices[actor]!.fingerprint.hex)", nil, id)
                }, expected: lifecycle(["mentor"])),
            Case(name: "POST /v1/assignments/{id}/consent", prepare: { _ in let id = try await assignment(cast, store, consent: true); return (.post, "/v1/assignments/\(id)/consent", nil, id) }, expected: lifecycle(["mentor"])),
            Case(
                name: "POST /v1/assignments/{id}/opened", prepare: { actor in
                    let id = try await assignment(cast, store)
                    return (.post, "/v1/assignments/\(id)/opened", openingReceipt(device: cast.devices["mentor"]!.fingerprint, openedAt: clock.now), id)
                }, expected: lifecycle(["mentor"])),
            Case(name: "POST /v1/assignments/{id}/read", prepare: { _ in let id = try await assignment(cast, store); return (.post, "/v1/assignments/\(id)/read", nil, id) }, expected: lifecycle(["mentor"])),
            Case(name: "POST /v1/assignments/{id}/acknowledge", prepare: { _ in let id = try await assignment(cast, store, status: .read); return (.post, "/v1/assignments/\(id)/acknowledge", nil, id) }, expected: lifecycle(["mentor"])),
            Case(name: "POST /v1/assignments/{id}/contact", prepare: { _ in let id = try await assignment(cast, store, status: .read); return (.post, "/v1/assignments/\(id)/contact", nil, id) }, expected: lifecycle(["mentor"])),
            Case(name: "POST /v1/assignments/{id}/complete", prepare: { _ in let id = try await assignment(cast, store, status: .acknowledged); return (.post, "/v1/assignments/\(id)/complete", nil, id) }, expected: lifecycle(["mentor", "coord"])),
            Case(
                name: "GET /v1/honorarium/{user}", prepare: { _ in (.get, "/v1/honorarium/mentor", nil, nil) },
                expected: ownOrg(.ok).merging(["mentor2": .notFound]) { $1 }),
            Case(
                name: "POST /v1/assignments/{id}/honorarium/void", prepare: { _ in
                    let id = try await assignment(cast, store, status: .acknowledged)
                    _ = try await store.transition(id, to: .completed, by: cast.users["mentor"]!.context, at: clock.now)
                    return (.post, "/v1/assignments/\(id)/honorarium/void", #"{"reason":"Counted by mistake"}"#, id)
                },
                expected: everyone(.forbidden).merging(["admin": .ok, "global": .ok, "b-admin": .notFound]) { $1 }),
            Case(
                name: "GET /v1/reports/honorarium", prepare: { _ in (.get, "/v1/reports/honorarium?period=2026", nil, nil) },
                expected: everyone(.forbidden).merging(["admin": .ok, "global": .ok, "compliance": .ok, "b-admin": .ok]) { $1 }),
            Case(
                name: "GET /v1/honorarium-rates", prepare: { _ in (.get, "/v1/honorarium-rates", nil, nil) },
                expected: everyone(.forbidden).merging(["admin": .ok, "global": .ok, "compliance": .ok, "b-admin": .ok]) { $1 }),
            Case(
                name: "PUT /v1/honorarium-rates/{valid_from}", prepare: { _ in (.put, "/v1/honorarium-rates/2026-12-01", #"{"rates":[{"kind":"band","threshold":3,"amount_ore":50000}]}"#, nil) },
                expected: everyone(.forbidden).merging(["admin": .ok, "global": .ok, "b-admin": .ok]) { $1 }),
            Case(
                name: "GET /v1/audit/extract", prepare: { _ in (.get, "/v1/audit/extract?from=2026-01-01&to=2026-12-31", nil, nil) },
                expected: everyone(.forbidden).merging(["admin": .ok, "global": .ok, "compliance": .ok, "b-admin": .ok]) { $1 }),
            Case(name: "POST /v1/users/{user}/feed (me)", prepare: { _ in (.post, "/v1/users/me/feed", nil, nil) }, expected: everyone(.created)),
            Case(
                name: "POST /v1/users/{user}/feed", prepare: { _ in (.post, "/v1/users/mentor/feed", nil, nil) },
                expected: ownOrg(.forbidden).merging(["mentor": .created, "admin": .created, "global": .created]) { $1 }),
            Case(
                name: "GET /v1/users/{user}/feed", prepare: { _ in
                    _ = try await feeds.issue(for: "mentor", in: cast.organization, language: nil, serverKeyVersion: 1, at: clock.now)
                    return (.get, "/v1/users/mentor/feed", nil, nil)
                },
                expected: ownOrg(.forbidden).merging(["mentor": .ok, "admin": .ok, "global": .ok]) { $1 }),
            Case(
                name: "DELETE /v1/users/{user}/feed", prepare: { _ in
                    _ = try await feeds.issue(for: "mentor", in: cast.organization, language: nil, serverKeyVersion: 1, at: clock.now)
                    return (.delete, "/v1/users/mentor/feed", nil, nil)
                },
                expected: ownOrg(.forbidden).merging(["mentor": .noContent, "admin": .noContent, "global": .noContent]) { $1 }),
            Case(
                name: "GET /v1/assignments/{id}/history", prepare: { _ in (.get, "/v1/assignments/\(try await assignment(cast, store))/history", nil, nil) },
                expected: lifecycle([], seeing: .ok).merging(["mentor": .ok]) { $1 }),
            Case(
                name: "GET /v1/assignments/{id}/suggestions", prepare: { _ in (.get, "/v1/assignments/\(try await assignment(cast, store))/suggestions", nil, nil) },
                expected: lifecycle(["coord", "admin", "global"])),
            Case(
                name: "POST /v1/assignments/{id}/decline", prepare: { _ in
                    let id = try await assignment(cast, store)
                    return (.post, "/v1/assignments/\(id)/decline", #"{"reason":"no_capacity"}"#, id)
                },
                expected: lifecycle(["mentor"])),
            Case(
                name: "POST /v1/assignments/{id}/erasure-receipts", prepare: { actor in
                    // Downloaded by the mentor's device, then cancelled: the device confirms erasing it.
                    let id = try await assignment(cast, store)
                    _ = try await store.downloadEnvelope(id, forDevice: cast.devices["mentor"]!.fingerprint, by: cast.users["mentor"]!.context, at: clock.now)
                    _ = try await store.transition(id, to: .cancelled, by: cast.users["coord"]!.context, at: clock.now, reason: "Duplicate")
                    return (.post, "/v1/assignments/\(id)/erasure-receipts", try erasureReceipt(id, organization: cast.organization, device: cast.devices[actor]!, at: clock.now), id)
                },
                expected: lifecycle(["mentor"])),
            Case(
                name: "GET /v1/erasure-confirmations", prepare: { _ in (.get, "/v1/erasure-confirmations", nil, nil) },
                expected: everyone(.forbidden).merging(["admin": .ok, "global": .ok, "compliance": .ok, "b-admin": .ok]) { $1 }),
            Case(
                name: "POST /v1/assignments/{id}/cancel", prepare: { _ in let id = try await assignment(cast, store); return (.post, "/v1/assignments/\(id)/cancel", #"{"reason":"Duplicate"}"#, id) },
                expected: lifecycle(["coord", "admin", "global"])),
        ]

        // Every /v1 route of the router has its case here (the list cannot fall behind the API).
        let routed = Set(
            try buildRouter(database: accounts.database, configuration: ServerConfiguration(database: accounts.database.configuration), serverKey: try ServerKey.generate())
                .routes.map { "\($0.method.rawValue) \($0.path)" }.filter { $0.contains(" /v1/") })
        let covered = Set(cases.map { String($0.name.split(separator: " ").prefix(2).joined(separator: " ")) })
        #expect(routed.subtracting(covered).isEmpty, "routes without a case: \(routed.subtracting(covered).sorted())")
        #expect(covered.subtracting(routed).isEmpty, "cases for routes that do not exist: \(covered.subtracting(routed).sorted())")

        try await application.test(.router) { client in
            func call(_ actor: String?, _ method: HTTPRequest.Method, _ uri: String, _ body: String?) async throws -> TestResponse {
                var headers = HTTPFields()
                if let actor { headers[.authorization] = "Bearer \(cast.tokens[actor]!)" }
                headers[.contentType] = "application/json"
                return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
            }
            var checked = 0
            for testCase in cases {
                #expect(Set(testCase.expected.keys) == Set(Self.actors), "\(testCase.name) covers every actor")
                // Every actor, and nobody signed in (always 401).
                for actor in Self.actors.map(Optional.some) + [nil] {
                    let (method, uri, body, _) = try await testCase.prepare(actor ?? "mentor")
                    let before = try await DatabaseSnapshot.take(accounts.database)
                    let response = try await call(actor, method, uri, body)
                    let expected = actor.map { testCase.expected[$0]! } ?? .unauthorized
                    #expect(response.status == expected, "\(testCase.name) as \(actor ?? "nobody"): \(response.status) \(String(buffer: response.body))")
                    if response.status.code >= 400 {
                        let changed = DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(accounts.database))
                        #expect(changed.isEmpty, "\(testCase.name) as \(actor ?? "nobody") was refused but changed \(changed)")
                    }
                    checked += 1
                }
            }
            #expect(checked == cases.count * (Self.actors.count + 1))

            // The routes outside /v1 need no token, and give the same to everyone.
            for uri in ["/healthz", "/metrics", "/openapi.json", "/openapi.yaml"] {
                for actor in Self.actors.map(Optional.some) + [nil] {
                    #expect(try await call(actor, .get, uri, nil).status == .ok, "\(uri) as \(actor ?? "nobody")")
                }
            }
            #expect(try await call(nil, .get, "/feeds/cal_\(String(repeating: "A", count: 43)).ics", nil).status == .notFound)

            // Allowed exports of one organisation hold nothing of the other, with both filled.
            let bAssignment = AssignmentID(UUID())
            let bEnvelope = try EnvelopeSealer().seal(
                payload: Array("{}".utf8), assignmentID: bAssignment.uuid, organizationID: cast.users["b-coord"]!.organizationID.uuid,
                sender: cast.devices["b-coord"]!, recipients: [cast.devices["b-mentor"]!.publicKeys])
            _ = try await store.dispatch(
                DispatchSubmission(id: bAssignment, recipientID: cast.users["b-mentor"]!.id, title: "Oppdrag B", envelope: bEnvelope.serialized),
                by: cast.users["b-coord"]!.context, at: clock.now)
            for step in [AssignmentStatus.read, .acknowledged, .completed] {
                _ = try await store.transition(bAssignment, to: step, by: cast.users["b-mentor"]!.context, at: clock.now)
            }
            let aAssignment = try await assignment(cast, store, status: .acknowledged)
            _ = try await store.transition(aAssignment, to: .completed, by: cast.users["mentor"]!.context, at: clock.now)
            func ids(of organization: String) -> [String] {
                cast.users.filter { ($0.key.hasPrefix("b-")) == (organization == "B") }.flatMap { [$0.value.id.description, $0.value.organizationID.description] }
                    + [organization == "B" ? bAssignment.description : aAssignment.description]
            }
            for (admin, own, other) in [("admin", "A", "B"), ("compliance", "A", "B"), ("b-admin", "B", "A")] {
                for uri in ["/v1/reports/honorarium?period=2026", "/v1/audit/extract?from=2026-01-01&to=2026-12-31"] {
                    let response = try await call(admin, .get, uri, nil)
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    #expect(ids(of: own).contains { text.contains($0) }, "\(uri) as \(admin) holds its own organisation")
                    for id in ids(of: other) { #expect(!text.contains(id), "\(uri) as \(admin) holds \(id) of organisation \(other)") }
                }
            }

            // The overview: everyone but the compliance officer may ask; each sees only their scope.
            let visible = try await assignment(cast, store)
            for actor in Self.actors {
                let response = try await call(actor, .get, "/v1/assignments?limit=200", nil)
                #expect(response.status == (actor == "compliance" ? .forbidden : .ok))
                let sees = String(buffer: response.body).contains(visible.description)
                #expect(sees == ["mentor", "coord", "coord2", "admin", "global"].contains(actor), "overview as \(actor)")
            }

            // Guessed ids: the same answer as a missing one, for every actor and every assignment endpoint.
            let guessed = UUID()
            for actor in Self.actors {
                for (method, path) in [(HTTPRequest.Method.get, ""), (.get, "/envelope?device=\(cast.devices[actor]!.fingerprint.hex)"), (.post, "/read"),
                                       (.post, "/acknowledge"), (.post, "/contact"), (.post, "/complete"), (.post, "/consent")] {
                    #expect(try await call(actor, method, "/v1/assignments/\(guessed)\(path)", nil).status == .notFound, "\(actor) \(path)")
                }
                #expect(try await call(actor, .post, "/v1/assignments/\(guessed)/cancel", #"{"reason":"x"}"#).status == .notFound)
                #expect(try await call(actor, .post, "/v1/assignments/\(guessed)/decline", #"{"reason":"other"}"#).status == .notFound)
                #expect(try await call(actor, .get, "/v1/assignments/\(guessed)/suggestions", nil).status == .notFound)
                #expect(try await call(actor, .get, "/v1/assignments/\(guessed)/history", nil).status == .notFound)
                let opening = openingReceipt(device: cast.devices[actor]!.fingerprint, openedAt: clock.now)
                #expect(try await call(actor, .post, "/v1/assignments/\(guessed)/opened", opening).status == .notFound, "\(actor) /opened")
                #expect(try await call(actor, .post, "/v1/keys/\(guessed)/revoke", nil).status == .notFound)
                #expect(try await call(actor, .get, "/v1/users/\(guessed)/keys", nil).status == .notFound)
            }
        }
    }
}
