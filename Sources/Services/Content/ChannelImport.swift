import Domain
import FluentKit
import Foundation
import Storage

/// CMS › Import/Export › Channels: one column layout for CSV and Excel that round-trips (an
/// export imported again changes nothing). Rows are matched by channel number: a known number
/// updates that channel, a new one creates it. Every row is checked first; if any is wrong
/// nothing is applied.
public enum ChannelImport {
    public static let columns = ["number", "name", "hls_url", "dash_url", "fallback_url", "token_type", "drm", "age_rating", "parental", "tags", "genres",
                                 "catchup_days", "recording_allowed", "vast_url", "preroll", "overlay", "ticker", "pinned", "enabled", "provider", "notes", "logo_url"]

    /// The export: a header row and one row per channel, by number.
    public static func exportRows(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [[String]] {
        try actor.require(.cms, in: deploymentID)
        var rows = [columns]
        for c in try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$number).all() {
            func b(_ v: Bool) -> String { v ? "true" : "false" }
            rows.append([String(c.number), c.name, c.hlsURL, c.dashURL, c.fallbackURL, c.tokenType, c.drm, String(c.ageRating), b(c.parental), c.tags, c.genres,
                         String(c.catchupDays), b(c.recordingAllowed), c.vastURL, b(c.preroll), b(c.overlay), b(c.ticker), b(c.pinned), b(c.enabled),
                         c.provider, c.notes, c.logoID.map { "/media/\($0.uuidString.lowercased())" } ?? ""])
        }
        return rows
    }

    public static func exportCSV(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> String {
        try await exportRows(env, actor: actor, deploymentID: deploymentID).map { CSV.line($0) + "\r\n" }.joined()
    }

    public struct Result: Sendable {
        public var created = 0
        public var updated = 0
        public var unchanged = 0
        public var errors: [CustomerBulkService.ImportError] = []
    }

    /// `http` fetches logos named by URL in `logo_url` (the channel's own `/media/…` path, as
    /// exported, keeps its logo).
    public static func importRows(_ env: ServiceEnvironment, http: (any OutboundHTTP)?, actor: Principal, deploymentID: UUID, rows: [(line: Int, fields: [String])]) async throws -> Result {
        try actor.require(.cms, in: deploymentID)
        var result = Result()
        guard let header = rows.first else { throw DomainError(.invalid, code: "empty_file", "The file is empty.") }
        let names = header.fields.map { $0.lowercased().trimmingCharacters(in: .whitespaces) }
        for (i, n) in names.enumerated() where !n.isEmpty && !columns.contains(n) {
            result.errors.append(.init(line: header.line, column: header.fields[i], message: "is not a known column (\(columns.joined(separator: ", ")))"))
        }
        for required in ["number", "name"] where !names.contains(required) {
            result.errors.append(.init(line: header.line, column: required, message: "column is missing"))
        }
        let body = Array(rows.dropFirst())
        if body.isEmpty { result.errors.append(.init(line: header.line, column: "", message: "no channel rows under the header")) }
        if body.count > 50_000 { result.errors.append(.init(line: header.line, column: "", message: "at most 50,000 rows per import")) }
        guard result.errors.isEmpty else { return result }

        let existing = Dictionary(uniqueKeysWithValues: try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all().map { ($0.number, $0) })
        var seen: [Int: Int] = [:]
        var pending: [(ChannelModel?, ChannelService.Input, MediaAssetModel?)] = []
        var fetched = 0
        for row in body {
            var v: [String: String] = [:]
            for (i, n) in names.enumerated() where i < row.fields.count { v[n] = row.fields[i].trimmingCharacters(in: .whitespaces) }
            func err(_ col: String, _ msg: String) { result.errors.append(.init(line: row.line, column: col, message: msg)) }
            func flag(_ col: String, _ def: Bool) -> Bool {
                guard let s = v[col]?.lowercased(), !s.isEmpty else { return def }
                if ["true", "1", "yes"].contains(s) { return true }
                if ["false", "0", "no"].contains(s) { return false }
                err(col, "must be true or false"); return def
            }
            func int(_ col: String, _ def: Int) -> Int {
                guard let s = v[col], !s.isEmpty else { return def }
                guard let n = Int(s) else { err(col, "must be a whole number"); return def }
                return n
            }
            guard let number = Int(v["number"] ?? "") else { err("number", "must be a whole number"); continue }
            if let line = seen[number] { err("number", "\(number) appears twice in the file (also line \(line))"); continue }
            seen[number] = row.line
            let current = existing[number]
            var i = ChannelService.Input(number: number, name: v["name"] ?? "")
            // A column left out keeps the channel's current value (or the default for a new one).
            func text(_ col: String, _ keep: String?) -> String { names.contains(col) ? (v[col] ?? "") : (keep ?? "") }
            i.hlsURL = text("hls_url", current?.hlsURL); i.dashURL = text("dash_url", current?.dashURL); i.fallbackURL = text("fallback_url", current?.fallbackURL)
            i.tokenType = names.contains("token_type") ? ((v["token_type"] ?? "").isEmpty ? "none" : v["token_type"]!.lowercased()) : (current?.tokenType ?? "none")
            i.drm = names.contains("drm") ? ((v["drm"] ?? "").isEmpty ? "none" : v["drm"]!.lowercased()) : (current?.drm ?? "none")
            i.ageRating = int("age_rating", current?.ageRating ?? 0)
            i.parental = flag("parental", current?.parental ?? false)
            i.tags = text("tags", current?.tags); i.genres = text("genres", current?.genres)
            i.catchupDays = int("catchup_days", current?.catchupDays ?? 0)
            i.recordingAllowed = flag("recording_allowed", current?.recordingAllowed ?? false)
            i.vastURL = text("vast_url", current?.vastURL)
            i.preroll = flag("preroll", current?.preroll ?? false); i.overlay = flag("overlay", current?.overlay ?? false)
            i.ticker = flag("ticker", current?.ticker ?? false); i.pinned = flag("pinned", current?.pinned ?? false)
            i.enabled = flag("enabled", current?.enabled ?? true)
            i.provider = text("provider", current?.provider); i.notes = text("notes", current?.notes)
            if let logo = v["logo_url"], !logo.isEmpty, logo != current?.logoID.map({ "/media/\($0.uuidString.lowercased())" }) {
                if logo.hasPrefix("/media/") || http == nil { err("logo_url", "is not this channel's logo; give an http(s) URL to import a new one") }
                else {
                    fetched += 1
                    if fetched > 2000 { err("logo_url", "at most 2,000 logos per import; import the rest in another file") }
                    else {
                        do { i.logo = try await ImageFetcher.fetch(http!, url: logo, maxBytes: ChannelService.logoLimits.maxBytes, field: "logo_url") }
                        catch let e as DomainError { for (_, m) in e.fields { err("logo_url", m) } }
                    }
                }
            }
            let (fe, logoAsset) = try await ChannelService.validate(env, deploymentID: deploymentID, id: current?.id, i)
            for (k, m) in fe.all { err(columnName(k), m) }
            pending.append((current, i, logoAsset))
        }
        guard result.errors.isEmpty else { return result }
        var changes: [(ChannelModel, Bool, [String: String?]?, MediaAssetModel?, UUID?)] = []
        for (current, input, logo) in pending {
            let c = current ?? ChannelModel()
            let before = current.map(ChannelService.snapshot)
            let was = current.map(fingerprint)
            if current == nil { c.deploymentID = deploymentID; c.epgChannelID = ""; c.epgShiftMinutes = 0 }
            ChannelService.apply(input, to: c)
            if let was, was == fingerprint(c), logo == nil { result.unchanged += 1; continue }
            let oldLogo = logo == nil ? nil : c.logoID
            if let logo { c.logoID = logo.id }
            changes.append((c, current == nil, before, logo, oldLogo))
        }
        let toSave = changes
        try await env.write { db in
            for (c, isNew, before, logo, oldLogo) in toSave {
                if let logo { try await logo.create(on: db) }
                try await c.save(on: db)
                if let oldLogo { try await MediaAssetModel.query(on: db).filter(\.$id == oldLogo).delete() }
                try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(c.id!),
                                              action: isNew ? "import" : "import_update", before: before, after: ChannelService.snapshot(c))
            }
        }
        result.created = changes.filter(\.1).count
        result.updated = changes.count - result.created
        return result
    }

    /// Every imported field, to tell an unchanged row from a changed one.
    static func fingerprint(_ c: ChannelModel) -> [String] {
        [String(c.number), c.name, c.hlsURL, c.dashURL, c.fallbackURL, c.tokenType, c.drm, String(c.ageRating), String(c.parental), c.tags, c.genres,
         String(c.catchupDays), String(c.recordingAllowed), c.vastURL, String(c.preroll), String(c.overlay), String(c.ticker), String(c.pinned),
         String(c.enabled), c.provider, c.notes]
    }

    static func columnName(_ field: String) -> String {
        ["hlsURL": "hls_url", "dashURL": "dash_url", "fallbackURL": "fallback_url", "tokenType": "token_type", "ageRating": "age_rating",
         "catchupDays": "catchup_days", "vastURL": "vast_url"][field] ?? field
    }
}
