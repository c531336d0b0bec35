import AssignmentCore
import Foundation
import Postgres

/// A peer mentor who could take an assignment over, and why they rank where they do.
public struct ReassignmentSuggestion: Sendable, Hashable {
    public var peerMentorID: UserID
    public var handle: String
    /// In the assignment's local association.
    public var sameLocalAssociation: Bool
    /// Has had an assignment in the assignment's region before.
    public var knowsRegion: Bool
    /// Open assignments they have now.
    public var openAssignments: Int
}

extension AssignmentStore {
    /// Who could take `id` over when its peer mentor declined or does not make contact (issue 16,
    /// "Reassignment suggestions"; docs/domain.md): active peer mentors of the organisation with a
    /// current certification and at least one active device key, never the assignment's own peer
    /// mentor (who declined or went quiet), ranked by the same local association first, then
    /// experience in the same region, then the fewest open assignments, then handle. At most
    /// `limit`.
    ///
    /// For those who may act on the assignment as its coordinator: the coordinator who dispatched it
    /// and organisation admins (others: `actor_not_permitted`, or `not_found` where they may not see it).
    public func suggestions(for id: AssignmentID, as user: UserContext, at time: Date, limit: Int = 10) async throws -> [ReassignmentSuggestion] {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let assignment = try Self.loadVisible(id, to: user, on: db)
            let parties = LifecycleParty.parties(of: .user(user), in: assignment) ?? []
            guard !parties.isDisjoint(with: [.dispatchingCoordinator, .organizationAdmin]) else {
                throw DomainError.actorNotPermitted(from: assignment.status, to: assignment.status)
            }
            return try db.query(
                """
                SELECT u.id, u.handle,
                       (u.local_association_id IS NOT DISTINCT FROM $2 AND $2::uuid IS NOT NULL) AS same_association,
                       ($3::text IS NOT NULL AND EXISTS (SELECT 1 FROM assignments h
                                                          WHERE h.peer_mentor_id = u.id AND lower(h.geographic_region) = lower($3))) AS knows_region,
                       (SELECT count(*) FROM assignments o
                         WHERE o.peer_mentor_id = u.id AND o.status IN ('dispatched', 'delivered', 'read', 'acknowledged'))::integer AS open_assignments
                  FROM users u
                 WHERE u.organization_id = $1 AND u.role = 'peer_mentor' AND u.status = 'active' AND u.id <> $4
                   AND (u.certification_expires_at IS NULL OR u.certification_expires_at > $5)
                   AND EXISTS (SELECT 1 FROM device_keys k WHERE k.user_id = u.id AND k.status = 'active')
                 ORDER BY same_association DESC, knows_region DESC, open_assignments, u.handle
                 LIMIT $6
                """, [user.organizationID, assignment.localAssociationID, assignment.geographicRegion, assignment.peerMentorID, time, limit]
            ).map { row in
                ReassignmentSuggestion(
                    peerMentorID: try row.decode("id"), handle: try row.decode("handle"), sameLocalAssociation: try row.decode("same_association"),
                    knowsRegion: try row.decode("knows_region"), openAssignments: try row.decode("open_assignments"))
            }
        }
    }
}
