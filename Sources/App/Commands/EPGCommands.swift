import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

struct EPGCommands: AsyncCommandGroup {
    var commands: [String: any AnyAsyncCommand] { ["import": EPGImportCommand()] }
    var help: String { "Imports XMLTV guides." }
}

/// `tvms epg import --source ID | --file PATH [--source ID] | --url URL`: imports a guide with a
/// progress line on stderr and a summary on stdout; exits non-zero when the import failed, so
/// scripts can rely on it.
struct EPGImportCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "source", help: "The EPG source to import into (its URL, unless --file or --url is given)") var source: Int?
        @Option(name: "file", help: "A local XMLTV file (.xml or .xml.gz)") var file: String?
        @Option(name: "url", help: "Download this XMLTV URL (into --source, or a source named after the URL)") var url: String?
        @Option(name: "deployment", help: "cmsService of the deployment, when there are several (for a new source)") var deployment: String?
        @Flag(name: "quiet", help: "No progress line") var quiet: Bool
    }

    var help: String { "Imports an XMLTV guide: --source ID (download its URL), --file PATH or --url URL." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let env = app.serviceEnvironment
        let actor = Principal.system("tvms epg import")
        let quiet = signature.quiet
        let console = context.console
        let progress: @Sendable (EPGImportService.Progress) -> Void = { p in
            guard !quiet else { return }
            let mb = Double(p.bytes) / 1_048_576
            let share = p.totalBytes > 0 ? String(format: " (%.0f%%)", Double(p.bytes) * 100 / Double(p.totalBytes)) : ""
            FileHandle.standardError.write(Data(String(format: "\r%.1f MB%@ · %d programmes", mb, share, p.programmes).utf8))
        }
        var sourceID = signature.source
        if sourceID == nil {
            guard signature.file != nil || signature.url != nil else { throw DomainError.validation(["source": "give --source, --file or --url"]) }
            sourceID = try await implicitSource(app, signature: signature)
        }
        let started = Date()
        let summary: EPGImportService.Summary
        if let file = signature.file {
            guard FileManager.default.isReadableFile(atPath: file) else { throw DomainError.validation(["file": "\(file) cannot be read"]) }
            summary = try await EPGImportService.importFile(env, actor: actor, sourceID: sourceID!, path: file, progress: progress)
        } else {
            if let url = signature.url, let id = sourceID, let s = try await EPGSourceModel.find(id, on: app.db), s.url != url {
                var input = EPGSourceService.Input(name: s.name)
                input.url = url; input.zone = s.zone; input.timeShiftMinutes = s.timeShiftMinutes; input.refreshHour = s.refreshHour; input.retentionDays = s.retentionDays
                input.enabled = s.enabled; input.priority = s.priority
                _ = try await EPGSourceService.save(env, actor: actor, deploymentID: s.deploymentID, id: id, input: input)
            }
            summary = try await EPGSourceService.refresh(env, http: VaporOutboundHTTP(client: app.client), actor: actor, sourceID: sourceID!, progress: progress)
        }
        if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
        let seconds = Date().timeIntervalSince(started)
        let mb = Double(summary.bytes) / 1_048_576
        console.print("source \(sourceID!) · import \(summary.importID) · \(summary.status): \(summary.message)")
        console.print(String(format: "%d channels, %d programmes, %d skipped, %.1f MB in %.1f s (%.1f MB/s, %.0f programmes/s)",
                             summary.channels, summary.programmes, summary.skipped, mb, seconds, seconds > 0 ? mb / seconds : 0, seconds > 0 ? Double(summary.programmes) / seconds : 0))
        for w in summary.warnings { console.print("warning: \(w)") }
        if summary.status == "failed" { throw DomainError(.conflict, code: "epg_import_failed", summary.message) }
    }

    /// A source named after the file or URL (made on first use) in the chosen deployment.
    func implicitSource(_ app: Application, signature: Signature) async throws -> Int {
        let q = DeploymentModel.query(on: app.db)
        if let d = signature.deployment { q.filter(\.$cmsService == d.lowercased()) }
        let deployments = try await q.all()
        guard deployments.count == 1, let d = deployments.first else {
            throw DomainError.validation(["deployment": deployments.isEmpty ? "no such deployment" : "several deployments: name one with --deployment CMSSERVICE"])
        }
        let name = String((signature.url ?? URL(fileURLWithPath: signature.file!).lastPathComponent).prefix(120))
        if let s = try await EPGSourceModel.query(on: app.db).filter(\.$deploymentID == d.id!).filter(\.$name == name).first() { return s.id! }
        var input = EPGSourceService.Input(name: name)
        input.url = signature.url ?? ""
        return try await EPGSourceService.save(app.serviceEnvironment, actor: .system("tvms epg import"), deploymentID: d.id!, id: nil, input: input).id!
    }
}
