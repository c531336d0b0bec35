import CSodium
@testable import Envelope
import Foundation
import Testing

/// The reused guarded region: nothing an operation wrote is there for the next one, a failing
/// operation is wiped too, and a sealer shared between threads still seals every envelope right.
@Suite("Guarded workspace")
struct GuardedWorkspaceTests {
    @Test("each use starts on zeros: what the last one wrote was wiped, also when it threw, also after the region grew")
    func wipedBetweenUses() throws {
        let workspace = GuardedWorkspace()
        try workspace.withRegion(count: 64) { region in
            #expect(region.allSatisfy { $0 == 0 })
            for index in region.indices { region[index] = 0xA5 }
        }
        try workspace.withRegion(count: 64) { region in #expect(region.allSatisfy { $0 == 0 }, "the secret of the last use is gone") }
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            try workspace.withRegion(count: 32) { region in
                for index in region.indices { region[index] = 0x5A }
                throw Failure()
            }
        }
        try workspace.withRegion(count: 64) { region in #expect(region.allSatisfy { $0 == 0 }, "a failed use is wiped as well") }
        try workspace.withRegion(count: 4_096) { region in
            #expect(region.count == 4_096 && region.allSatisfy { $0 == 0 })
            for index in region.indices { region[index] = 1 }
        }
        try workspace.withRegion(count: 4_096) { region in #expect(region.allSatisfy { $0 == 0 }) }
    }

    @Test("one sealer on many threads at once: every envelope opens to its own payload")
    func sharedSealer() async throws {
        let sender = try DeviceKeyPair.generate()
        let recipient = try DeviceKeyPair.generate()
        let sealer = EnvelopeSealer()
        let workspace = GuardedWorkspace()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let payload = Array("case \(index) ".utf8) + [UInt8](repeating: UInt8(index), count: 100 + index * 37)
                    let id = UUID(), organization = UUID()
                    let envelope = try sealer.seal(payload: payload, assignmentID: id, organizationID: organization, sender: sender, recipients: [recipient.publicKeys])
                    let opened = try EnvelopeOpener.open(
                        try AssignmentEnvelope.parse(envelope.serialized), recipient: recipient, sender: sender.publicKeys, assignmentID: id,
                        organizationID: organization, workspace: workspace)
                    #expect(opened == payload)
                }
            }
            try await group.waitForAll()
        }
    }
}
