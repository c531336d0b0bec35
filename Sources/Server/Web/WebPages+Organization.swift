import AssignmentCore
import Exports
import Foundation
import Hummingbird
import Jobs
import NIOCore
import Storage

/// The organisation admin's page (users, settings, the honorarium report) and the compliance page
/// (audit chain, sweep history, a dry run, the audit extract).
extension WebPages {
    func admin(_ page: Page, notice: String?, error: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        try require(page.user.role.administersOrganization)
        var values = try await organizationValues(page)
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        return render("admin", status: status, language: page.language, page: page, values)
    }

    private func organizationValues(_ page: Page) async throws -> [String: Any] {
        let accounts = AccountStore(database: database)
        let organization = try await accounts.organization(page.user.organizationID.description)
        let language = page.language
        var values: [String: Any] = [
            "organization": organization.name, "canEdit": page.user.role.administersOrganization,
            "moduleOn": organization.settings.encryptedAssignmentsEnabled, "reminderAfterDays": organization.settings.reminderAfterDays,
            "retentionDays": organization.settings.retentionDays, "lifetimeDays": organization.settings.assignmentLifetimeDays,
            "erasureDays": organization.settings.erasureConfirmationDays, "requirePostQuantum": organization.settings.requirePostQuantum,
            "period": Self.currentMonth(at: now(), in: organization.settings.calendar.timeZone),
        ]
        if page.user.role.administersOrganization {
            values["members"] = try await accounts.members(of: organization.id, as: page.user.context).map { member in
                [
                    "handle": member.user.handle, "role": text("role_\(member.user.role.rawValue)", language),
                    "status": text("user_\(member.user.status.rawValue)", language), "fingerprints": member.fingerprints.map { fingerprint in
                        [
                            "hex": fingerprint.groupedHex, "aloud": fingerprint.readAloud.joined(separator: " "),
                            "postQuantum": text(member.postQuantum.contains(fingerprint) ? "yes" : "no", language),
                        ]
                    },
                ] as [String: Any]
            }
        }
        return values
    }

    func saveSettings(_ page: Page) async throws -> Response {
        try require(page.user.role.administersOrganization)
        let accounts = AccountStore(database: database)
        let organization = try await accounts.organization(page.user.organizationID.description)
        var settings = organization.settings
        settings.encryptedAssignmentsEnabled = page.form["module"] == "on"
        func number(_ name: String) -> Int? { page.form[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        guard let reminder = number("reminder_after_days"), let retention = number("retention_days"), let lifetime = number("assignment_lifetime_days"),
            let erasureDays = number("erasure_confirmation_days")
        else {
            return try await admin(page, notice: nil, error: text("bad_request_title", page.language), status: .unprocessableContent)
        }
        settings.reminderAfterDays = reminder
        settings.retentionDays = retention
        settings.assignmentLifetimeDays = lifetime
        settings.erasureConfirmationDays = erasureDays
        settings.requirePostQuantum = page.form["require_post_quantum"] == "on"
        do {
            _ = try await accounts.updateSettings(of: organization.id, to: settings, by: .user(page.user.context), at: now())
        } catch let error as DomainError {
            return try await admin(page, notice: nil, error: error.message, status: ProblemMapping.status(of: error))
        }
        return Self.redirect("/admin?notice=saved")
    }

    /// The honorarium report for a period, as a table (org admins and compliance officers).
    func honorariumReport(_ page: Page) async throws -> Response {
        try require(page.user.role.readsComplianceRecords)
        let period = String((page.request.uri.queryParameters.get("period") ?? "").prefix(20))
        var values = try await organizationValues(page)
        values["period"] = period
        do {
            try HonorariumReport.validate(period: period)
        } catch {
            values["error"] = "\(error)"
            return render("admin", status: .unprocessableContent, language: page.language, page: page, values)
        }
        var csv = ""
        let report = HonorariumReport(database: database)
        try await report.store.recordPull(
            of: page.user.organizationID, period: period, format: "csv", language: page.language.rawValue, via: "web", by: .user(page.user.context), at: now())
        try await report.write(organization: page.user.organizationID, period: period, format: .standard, language: page.language) { csv += $0 }
        let rows = CSVFormat.standard.rows(of: csv)
        values["report"] = [
            "period": period, "caption": text("report_caption", page.language, ["period": period]), "header": rows.first ?? [],
            "lines": rows.dropFirst().map { ["cells": $0] }, "hasLines": rows.count > 1,
        ] as [String: Any]
        return render("admin", language: page.language, page: page, values)
    }

    /// The honorarium CSV download, as the API gives it.
    func honorariumCSV(_ page: Page) async throws -> Response {
        try require(page.user.role.readsComplianceRecords)
        let period = String((page.request.uri.queryParameters.get("period") ?? "").prefix(20))
        guard (try? HonorariumReport.validate(period: period)) != nil else { throw HTTPError(.badRequest) }
        let chunks = try await ComplianceDownloads.honorariumCSV(
            database: database, user: page.user, period: period, format: .standard, language: page.language, via: "web", at: now())
        return Self.download(chunks, type: "text/csv; charset=utf-8", filename: "honorarium-\(period).csv")
    }

    func compliance(_ page: Page, dryRun: [String]?) async throws -> Response {
        try require(page.user.role.readsComplianceRecords)
        let language = page.language
        let organization = try await AccountStore(database: database).organization(page.user.organizationID.description)
        let timeZone = organization.settings.calendar.timeZone
        let verification = try await AuditExtractVerifier.verifyLive(AuditExtractStore(database: database), organization: organization.id)
        let history = try await SweepStore(database: database, scope: .tenant(organization.id, actor: .user(page.user.context))).history(of: organization.id)
        let today = Self.currentDay(at: now(), in: timeZone)
        var values: [String: Any] = [
            "organization": organization.name,
            "chainStatus": verification.intact
                ? text("chain_intact", language, ["entries": String(verification.entryCount)])
                : text("chain_broken", language, ["breaks": String(verification.problems.count)]),
            "chainUnlinked": text("chain_unlinked", language, ["count": String(verification.unlinked?.unlinked ?? 0)]),
            "hasSweeps": !history.isEmpty,
            "sweeps": history.map { entry in
                [
                    "at": Self.display(entry.at, in: timeZone), "sweep": text("sweep_\(entry.sweep)", language),
                    "kind": text(entry.dryRun ? "kind_dry_run" : "kind_run", language), "assignments": entry.assignments,
                    "sealedKeys": entry.sealedKeysDestroyed, "who": entry.by ?? text("system", language),
                ] as [String: Any]
            },
            "extractFrom": today, "extractTo": today,
        ]
        let erasures = ErasureReceiptStore(database: database)
        let closed = try await erasures.closedAssignments(as: page.user.context, at: now(), limit: 50)
        let overdue = try await erasures.overdueDevices(in: .tenant(organization.id, actor: .user(page.user.context)), at: now())
        values["erasureSummary"] = text("erasure_overdue_summary", language, ["count": String(overdue.count)])
        values["hasErasures"] = !closed.isEmpty
        values["erasures"] = closed.flatMap { assignment -> [[String: Any]] in
            let closedText = Self.display(assignment.closedAt, in: timeZone) + ", " + assignment.assignmentID.description
            let status = text("status_\(assignment.status.rawValue)", language)
            guard !assignment.holders.isEmpty else {
                return [["closed": closedText, "status": status, "device": text("no_holders", language), "confirmation": ""]]
            }
            return assignment.holders.map { holder in
                let confirmation = holder.confirmation.map { text("erasure_confirmed", language, ["at": Self.display($0.erasedAt, in: timeZone)]) }
                    ?? text(holder.overdue ? "erasure_overdue" : "erasure_waiting", language)
                return [
                    "closed": closedText, "status": status, "device": holder.handle + ", " + holder.device.readAloud.joined(separator: " "),
                    "confirmation": confirmation,
                ]
            }
        }
        if let dryRun {
            values["hasDryRun"] = true
            values["dryRun"] = dryRun
        }
        return render("compliance", language: language, page: page, values)
    }

    func dryRun(_ page: Page) async throws -> Response {
        try require(page.user.role.readsComplianceRecords)
        let reports = try await SweepJob.dryRun(of: page.user.organizationID, by: page.user.context, database: database, clock: now)
        let lines = reports.map { report in
            text("dry_run_result", page.language, ["sweep": text("sweep_\(report.sweep.rawValue)", page.language), "count": String(report.done)])
        }
        return try await compliance(page, dryRun: lines)
    }

    /// The signed audit extract (JSON Lines) for whole days in the organisation's time zone.
    func auditExtract(_ page: Page) async throws -> Response {
        try require(page.user.role.readsComplianceRecords)
        let parameters = page.request.uri.queryParameters
        let chunks = try await ComplianceDownloads.auditExtract(
            database: database, serverKey: serverKey, user: page.user, from: String(parameters.get("from") ?? ""), to: String(parameters.get("to") ?? ""),
            via: "web", at: now())
        return Self.download(chunks, type: "application/x-ndjson; charset=utf-8", filename: "audit-extract.jsonl")
    }

    static func download(_ chunks: AsyncThrowingStream<String, any Error>, type: String, filename: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(filename)\"", .cacheControl: "no-store"],
            body: ResponseBody(asyncSequence: chunks.map { ByteBuffer(string: $0) }))
    }

    static func currentMonth(at time: Date, in timeZone: TimeZone) -> String { String(currentDay(at: time, in: timeZone).prefix(7)) }

    static func currentDay(at time: Date, in timeZone: TimeZone) -> String { String(DateTimeText.localMinute(time, in: timeZone).prefix(10)) }
}
