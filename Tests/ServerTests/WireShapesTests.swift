import AssignmentCore
import Contract
import Testing

@testable import Server

/// The wire shapes map the domain's enumerations onto the contract's one to one: a case added on
/// either side without the other fails here, not in a request.
@Suite("Wire shapes")
struct WireShapesTests {
    @Test("every status, role, priority and finding of the domain has the same name in the contract, and back")
    func enumerationsCorrespond() {
        #expect(AssignmentStatus.allCases.map { Components.Schemas.AssignmentStatus($0).rawValue } == AssignmentStatus.allCases.map(\.rawValue))
        #expect(Set(Components.Schemas.AssignmentStatus.allCases.map(\.rawValue)) == Set(AssignmentStatus.allCases.map(\.rawValue)))
        #expect(Set(Components.Schemas.OpenStatus.allCases.map { AssignmentStatus($0) }) == Set(AssignmentStatus.allCases.filter(\.isOpen)))
        #expect(Role.allCases.map { Components.Schemas.Role($0).rawValue } == Role.allCases.map(\.rawValue))
        #expect(Set(Components.Schemas.Role.allCases.map(\.rawValue)) == Set(Role.allCases.map(\.rawValue)))
        #expect(Set(Components.Schemas.UserStatus.allCases.map(\.rawValue)) == Set(UserStatus.allCases.map(\.rawValue)))
        #expect(Set(Components.Schemas.DeviceKeyStatus.allCases.map(\.rawValue)) == Set(DeviceKeyStatus.allCases.map(\.rawValue)))
        #expect(Priority.allCases.map { Priority(Components.Schemas.Priority($0)) } == Priority.allCases)
        #expect(Set(Components.Schemas.Finding.KindPayload.allCases.map(\.rawValue)) == Set(PersonalDataFinding.Kind.allCases.map(\.rawValue)))
    }
}
