import AssignmentCore
import DatabaseTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

@Suite("Bearer authentication")
struct AuthenticationTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    /// An application on its own database with one organisation and one active peer mentor.
    func setUp() async throws -> (application: some ApplicationProtocol, token: String, accounts: AccountStore, organization: OrganizationID) {
        let (application, accounts) = try await makeApplication(clock: clock)
        let org = try await accounts.createOrganization(name: "Blindeforbundet", at: clock.now)
        _ = try await accounts.addUser(to: org.id, handle: "likeperson1", role: .peerMentor, at: clock.now)
        let token = try await accounts.issueToken(for: "likeperson1", in: org.id, lifetime: 3600, at: clock.now).token
        return (application, token, accounts, org.id)
    }

    func isUnauthorizedProblem(_ response: TestResponse) -> Bool {
        guard response.status == .unauthorized, response.headers[.wwwAuthenticate] == "Bearer",
            response.headers[.contentType] == ProblemDetails.mediaType,
            let problem = try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body))
        else { return false }
        return problem.code == "unauthorized"
    }

    @Test("a valid token reaches /v1/me and says who it belongs to")
    func validToken() async throws {
        let (application, token, _, organization) = try await setUp()
        try await application.test(.router) { client in
            try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                let user = try JSONDecoder().decode(UserRecord.self, from: Data(buffer: response.body))
                #expect(user.handle == "likeperson1")
                #expect(user.role == .peerMentor)
                #expect(user.organizationID == organization)
            }
        }
    }

    @Test("missing, malformed, unknown, expired and revoked tokens all get the same 401")
    func refusedTokens() async throws {
        let (application, token, accounts, organization) = try await setUp()
        let clock = self.clock
        try await application.test(.router) { client in
            for header in [nil, "Basic a2FyaTpwYXNz", "Bearer", "Bearer ", "Bearer \(token)x", "bearer \(token)", "Bearer adt_\(String(repeating: "A", count: 43))"] {
                let headers: HTTPFields = header.map { [.authorization: $0] } ?? [:]
                try await client.execute(uri: "/v1/me", method: .get, headers: headers) { response in
                    #expect(isUnauthorizedProblem(response), "\(String(describing: header))")
                }
            }
            clock.advance(by: 3600)
            try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(isUnauthorizedProblem(response), "expired")
            }
            let fresh = try await accounts.issueToken(for: "likeperson1", in: organization, lifetime: 3600, at: clock.now)
            try await accounts.revokeToken(fresh.id, in: organization, at: clock.now)
            try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer \(fresh.token)"]) { response in
                #expect(isUnauthorizedProblem(response), "revoked")
            }
        }
    }

    @Test("after ten failures from one address, further failures wait and get 429 until the window has passed; a valid token from the same address always gets in")
    func rateLimited() async throws {
        let (application, token, _, _) = try await setUp()
        let clock = self.clock
        try await application.test(.router) { client in
            for _ in 0..<10 {
                try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            // Someone else on the same (shared office) address guessed; the valid token still works.
            try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
            }
            let started = ContinuousClock.now
            for presented in ["Bearer wrong", "Bearer adt_" + String(repeating: "x", count: 43)] {
                try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: presented]) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(Int(response.headers[.retryAfter] ?? "") == 60)
                    #expect((try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body)))?.code == "too_many_requests")
                }
            }
            #expect(ContinuousClock.now - started >= .milliseconds(500), "each failure past the limit waits before it is answered")
            // No token at all guesses nothing: still the plain 401.
            try await client.execute(uri: "/v1/me", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            clock.advance(by: 61)
            try await client.execute(uri: "/v1/me", method: .get, headers: [.authorization: "Bearer wrong"]) { response in
                #expect(response.status == .unauthorized, "the window has passed")
            }
        }
    }

    @Test("health and metrics need no token")
    func publicEndpoints() async throws {
        let (application, _, _, _) = try await setUp()
        try await application.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
        }
    }
}
