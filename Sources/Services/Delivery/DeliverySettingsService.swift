import Domain
import FluentKit
import Foundation
import Storage

/// CMS › Transcoders (servers, CDN hostnames, DVR storage, stream mappings) and CMS › Settings
/// (token settings, BuyDRM, Irdeto). Secrets are sealed with the installation's key, never
/// returned, and shown only as a hint; leaving a secret empty on edit keeps the stored one.
public enum DeliverySettingsService {
    public static let transcoderKinds = ["flussonic", "wowza", "nimble", "nginx", "origin"]
    public static let cdnKinds = ["akamai", "flussonic", "generic"]
    public static let drmVendors = ["buydrm", "irdeto"]
    /// Token types that sign with a stored secret.
    public static var signedTokenTypes: [String] { ChannelRules.tokenTypes.filter { StreamTokenSigning.schemes[$0] != nil } }

    static func isHTTPURL(_ s: String) -> Bool {
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), let host = u.host, !host.isEmpty else { return false }
        return true
    }

    static func seal(_ env: ServiceEnvironment, _ secret: String?, into sealed: inout String, hint: inout String) throws {
        guard let secret = secret?.trimmingCharacters(in: .whitespacesAndNewlines), !secret.isEmpty else { return }
        sealed = try env.secrets.seal(secret)
        hint = Secrets.hint(secret)
    }

    // MARK: Transcoders

    public struct TranscoderInput: Sendable {
        public var name = "", kind = "flussonic", baseURL = "", apiURL = "", apiUser = ""
        /// nil or empty = keep the stored secret.
        public var apiSecret: String? = nil
        public var dvrDepthDays = 7
        public var archiveForm = "flussonic", archiveStartParam = "start", archiveEndParam = "end"
        public var enabled = true
        public init() {}
        public init(_ t: TranscoderModel) {
            name = t.name; kind = t.kind; baseURL = t.baseURL; apiURL = t.apiURL; apiUser = t.apiUser; dvrDepthDays = t.dvrDepthDays
            archiveForm = t.archiveForm; archiveStartParam = t.archiveStartParam; archiveEndParam = t.archiveEndParam; enabled = t.enabled
        }
    }

    public static func transcoders(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [TranscoderModel] {
        try actor.require(.cms, in: deploymentID)
        return try await TranscoderModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    public static func transcoder(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> TranscoderModel {
        try actor.require(.cms, in: deploymentID)
        guard let t = try await TranscoderModel.find(id, on: env.db), t.deploymentID == deploymentID else { throw DomainError.notFound("The streaming server") }
        return t
    }

    public static func saveTranscoder(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input i: TranscoderInput) async throws -> TranscoderModel {
        try actor.require(.cms, in: deploymentID)
        var errors = FieldErrors()
        let name = i.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 { errors.add("name", "is required (at most 100 characters)") }
        if !transcoderKinds.contains(i.kind) { errors.add("kind", "must be one of \(transcoderKinds.joined(separator: ", "))") }
        if !isHTTPURL(i.baseURL) { errors.add("baseURL", "must be an http(s) address such as https://edge1.example.net") }
        if !i.apiURL.isEmpty && !isHTTPURL(i.apiURL) { errors.add("apiURL", "must be an http(s) address or empty") }
        if !(0...3650).contains(i.dvrDepthDays) { errors.add("dvrDepthDays", "must be between 0 and 3650") }
        if ArchiveServer(rawValue: i.archiveForm) == nil { errors.add("archiveForm", "must be one of \(ArchiveServer.allCases.map(\.rawValue).joined(separator: ", "))") }
        let param = { (s: String) in !s.isEmpty && s.count <= 40 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") } }
        if !param(i.archiveStartParam) || !param(i.archiveEndParam) { errors.add("archiveStartParam", "parameter names are letters, digits and _") }
        try errors.throwIfAny()
        let existing = try await TranscoderModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == name).first()
        if let existing, existing.id != id { throw DomainError.validation(["name": "is already used by another streaming server"]) }
        let t = id == nil ? TranscoderModel() : try await transcoder(env, actor: actor, deploymentID: deploymentID, id: id!)
        if id == nil {
            t.deploymentID = deploymentID; t.status = "unknown"; t.statusDetail = ""; t.apiSecretSealed = ""; t.apiSecretHint = ""
            t.callbackEnabled = false; t.callbackKeyDigest = ""; t.callbackKeyHint = ""; t.ppvTokenSealed = ""; t.ppvTokenHint = ""
        }
        t.name = name; t.kind = i.kind; t.baseURL = i.baseURL.trimmingCharacters(in: .whitespaces); t.apiURL = i.apiURL.trimmingCharacters(in: .whitespaces)
        t.apiUser = i.apiUser.trimmingCharacters(in: .whitespaces); t.dvrDepthDays = i.dvrDepthDays; t.archiveForm = i.archiveForm
        t.archiveStartParam = i.archiveStartParam; t.archiveEndParam = i.archiveEndParam; t.enabled = i.enabled
        var sealed = t.apiSecretSealed, hint = t.apiSecretHint
        try seal(env, i.apiSecret, into: &sealed, hint: &hint)
        t.apiSecretSealed = sealed; t.apiSecretHint = hint
        try await env.write { db in
            try await t.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "transcoder", entityID: String(t.id!),
                                          action: id == nil ? "create" : "update",
                                          after: ["name": name, "kind": i.kind, "baseUrl": t.baseURL, "apiUrl": t.apiURL, "apiSecret": (i.apiSecret ?? "").isEmpty ? nil : "changed",
                                                  "dvrDepthDays": String(i.dvrDepthDays), "archiveForm": i.archiveForm, "enabled": String(i.enabled)])
        }
        return t
    }

    public static func deleteTranscoder(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let t = try await transcoder(env, actor: actor, deploymentID: deploymentID, id: id)
        try await env.write { db in
            try await StreamMappingModel.query(on: db).filter(\.$transcoderID == id).delete()
            try await DVRStorageModel.query(on: db).filter(\.$transcoderID == id).delete()
            try await t.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "transcoder", entityID: String(id), action: "delete",
                                          before: ["name": t.name])
        }
    }

    /// The server's API password, opened for the health check.
    public static func apiSecret(_ env: ServiceEnvironment, of t: TranscoderModel) throws -> String {
        t.apiSecretSealed.isEmpty ? "" : try env.secrets.open(t.apiSecretSealed)
    }

    // MARK: CDN hostnames

    public struct CDNInput: Sendable {
        public var baseURL = "", kind = "generic", priority = 10, weight = 1, enabled = true
        public init() {}
        public init(_ c: CDNHostnameModel) { baseURL = c.baseURL; kind = c.cdnKind; priority = c.priority; weight = c.weight; enabled = c.enabled }
    }

    public static func cdnHostnames(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [CDNHostnameModel] {
        try actor.require(.cms, in: deploymentID)
        return try await CDNHostnameModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$priority).sort(\.$id).all()
    }

    public static func saveCDN(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input i: CDNInput) async throws -> CDNHostnameModel {
        try actor.require(.cms, in: deploymentID)
        var errors = FieldErrors()
        var trimmed = i.baseURL.trimmingCharacters(in: .whitespaces)
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        let base = trimmed
        if !isHTTPURL(base) { errors.add("baseURL", "must be an http(s) address such as https://cdn1.example.net") }
        if !cdnKinds.contains(i.kind) { errors.add("kind", "must be one of \(cdnKinds.joined(separator: ", "))") }
        if !(0...1000).contains(i.priority) { errors.add("priority", "must be between 0 and 1000 (lower is preferred)") }
        if !(0...1000).contains(i.weight) { errors.add("weight", "must be between 0 and 1000") }
        try errors.throwIfAny()
        let clash = try await CDNHostnameModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$baseURL == base).first()
        if let clash, clash.id != id { throw DomainError.validation(["baseURL": "is already listed"]) }
        let c: CDNHostnameModel
        if let id {
            guard let found = try await CDNHostnameModel.find(id, on: env.db), found.deploymentID == deploymentID else { throw DomainError.notFound("The CDN hostname") }
            c = found
        } else {
            c = CDNHostnameModel(); c.deploymentID = deploymentID; c.status = "unknown"; c.statusDetail = ""
        }
        c.baseURL = base; c.cdnKind = i.kind; c.priority = i.priority; c.weight = i.weight; c.enabled = i.enabled
        try await env.write { db in
            try await c.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "cdn_hostname", entityID: String(c.id!),
                                          action: id == nil ? "create" : "update",
                                          after: ["baseUrl": base, "kind": i.kind, "priority": String(i.priority), "weight": String(i.weight), "enabled": String(i.enabled)])
        }
        return c
    }

    public static func deleteCDN(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        guard let c = try await CDNHostnameModel.find(id, on: env.db), c.deploymentID == deploymentID else { throw DomainError.notFound("The CDN hostname") }
        try await env.write { db in
            try await c.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "cdn_hostname", entityID: String(id), action: "delete",
                                          before: ["baseUrl": c.baseURL])
        }
    }

    // MARK: Token settings

    public struct TokenInput: Sendable {
        public var tokenType = "", lifetimeSeconds = 3600, bindIP = false, options = "", enabled = true
        /// nil or empty = keep the stored secret.
        public var secret: String? = nil
        public init() {}
        public init(_ t: TokenSettingModel) { tokenType = t.tokenType; lifetimeSeconds = t.lifetimeSeconds; bindIP = t.bindIP; options = t.options; enabled = t.enabled }
    }

    public static func tokenSettings(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [TokenSettingModel] {
        try actor.require(.cms, in: deploymentID)
        return try await TokenSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$tokenType).all()
    }

    /// `key=value` lines (blank lines and `#` comments ignored).
    public static func parseOptions(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let l = line.trimmingCharacters(in: .whitespaces)
            guard !l.isEmpty, !l.hasPrefix("#"), let eq = l.firstIndex(of: "=") else { continue }
            out[l[..<eq].trimmingCharacters(in: .whitespaces)] = l[l.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    public static func saveTokenSetting(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input i: TokenInput) async throws -> TokenSettingModel {
        try actor.require(.cms, in: deploymentID)
        var errors = FieldErrors()
        if !signedTokenTypes.contains(i.tokenType) { errors.add("tokenType", "must be one of \(signedTokenTypes.joined(separator: ", "))") }
        if !(10...7 * 86_400).contains(i.lifetimeSeconds) { errors.add("lifetimeSeconds", "must be between 10 seconds and 7 days") }
        let badLines = i.options.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") && !$0.contains("=") }
        if !badLines.isEmpty { errors.add("options", "each line is key=value (\(badLines[0]))") }
        let existing = try await TokenSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$tokenType == i.tokenType).first()
        if existing == nil && (i.secret ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.add("secret", "is required") }
        try errors.throwIfAny()
        // The signer's own checks (option names, Akamai's hex key, nginx's expression) run on
        // the secret that will be used: the new one, or the stored one when it is kept.
        let secret = (i.secret ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try StreamTokenSigning.setting(tokenType: i.tokenType, secret: secret.isEmpty ? try env.secrets.open(existing!.secretSealed) : secret,
                                           lifetime: i.lifetimeSeconds, bindIP: i.bindIP, options: i.options)
        let t = existing ?? TokenSettingModel()
        if existing == nil { t.deploymentID = deploymentID; t.tokenType = i.tokenType; t.secretSealed = ""; t.secretHint = "" }
        var sealed = t.secretSealed, hint = t.secretHint
        try seal(env, i.secret, into: &sealed, hint: &hint)
        t.secretSealed = sealed; t.secretHint = hint
        t.lifetimeSeconds = i.lifetimeSeconds; t.bindIP = i.bindIP; t.options = i.options; t.enabled = i.enabled
        try await env.write { db in
            try await t.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "token_setting", entityID: i.tokenType,
                                          action: existing == nil ? "create" : "update",
                                          after: ["lifetimeSeconds": String(i.lifetimeSeconds), "bindIp": String(i.bindIP), "options": i.options,
                                                  "secret": (i.secret ?? "").isEmpty ? nil : "changed", "enabled": String(i.enabled)])
        }
        return t
    }

    // MARK: DRM settings

    public struct DRMInput: Sendable {
        public var vendor = "buydrm", accountID = "", widevineURL = "", playreadyURL = "", fairplayURL = "", fairplayCertificateURL = ""
        public var lifetimeSeconds = 86_400, enabled = true
        /// nil or empty = keep the stored key.
        public var key: String? = nil
        public init() {}
        public init(_ d: DRMSettingModel) {
            vendor = d.vendor; accountID = d.accountID; widevineURL = d.widevineURL; playreadyURL = d.playreadyURL; fairplayURL = d.fairplayURL
            fairplayCertificateURL = d.fairplayCertificateURL; lifetimeSeconds = d.lifetimeSeconds; enabled = d.enabled
        }
    }

    public static func drmSettings(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [DRMSettingModel] {
        try actor.require(.cms, in: deploymentID)
        return try await DRMSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all()
    }

    public static func saveDRM(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input i: DRMInput) async throws -> DRMSettingModel {
        try actor.require(.cms, in: deploymentID)
        var errors = FieldErrors()
        if !drmVendors.contains(i.vendor) { errors.add("vendor", "must be buydrm or irdeto") }
        if i.accountID.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("accountID", "is required") }
        for (field, value) in [("widevineURL", i.widevineURL), ("playreadyURL", i.playreadyURL), ("fairplayURL", i.fairplayURL), ("fairplayCertificateURL", i.fairplayCertificateURL)]
        where !value.isEmpty && !isHTTPURL(value) { errors.add(field, "must be an http(s) address or empty") }
        if i.widevineURL.isEmpty && i.playreadyURL.isEmpty && i.fairplayURL.isEmpty { errors.add("widevineURL", "give at least one licence server") }
        if !(60...30 * 86_400).contains(i.lifetimeSeconds) { errors.add("lifetimeSeconds", "must be between 1 minute and 30 days") }
        let existing = try await DRMSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$vendor == i.vendor).first()
        if existing == nil && (i.key ?? "").trimmingCharacters(in: .whitespaces).isEmpty { errors.add("key", "is required") }
        try errors.throwIfAny()
        let d = existing ?? DRMSettingModel()
        if existing == nil { d.deploymentID = deploymentID; d.vendor = i.vendor; d.keySealed = ""; d.keyHint = "" }
        var sealed = d.keySealed, hint = d.keyHint
        try seal(env, i.key, into: &sealed, hint: &hint)
        d.keySealed = sealed; d.keyHint = hint
        d.accountID = i.accountID.trimmingCharacters(in: .whitespaces); d.widevineURL = i.widevineURL; d.playreadyURL = i.playreadyURL; d.fairplayURL = i.fairplayURL
        d.fairplayCertificateURL = i.fairplayCertificateURL; d.lifetimeSeconds = i.lifetimeSeconds; d.enabled = i.enabled
        try await env.write { db in
            try await d.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "drm_setting", entityID: i.vendor,
                                          action: existing == nil ? "create" : "update",
                                          after: ["accountId": d.accountID, "widevineUrl": i.widevineURL, "playreadyUrl": i.playreadyURL, "fairplayUrl": i.fairplayURL,
                                                  "key": (i.key ?? "").isEmpty ? nil : "changed", "enabled": String(i.enabled)])
        }
        return d
    }

    // MARK: DVR storage

    public struct DVRInput: Sendable {
        public var transcoderID = 0, name = "", path = "", capacityGB = 1000, retentionDays = 7, usedGB = 0
        public init() {}
        public init(_ d: DVRStorageModel) { transcoderID = d.transcoderID; name = d.name; path = d.path; capacityGB = d.capacityGB; retentionDays = d.retentionDays; usedGB = d.usedGB }
    }

    public static func dvrStorages(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [DVRStorageModel] {
        try actor.require(.cms, in: deploymentID)
        return try await DVRStorageModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    public static func saveDVR(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input i: DVRInput) async throws -> DVRStorageModel {
        _ = try await transcoder(env, actor: actor, deploymentID: deploymentID, id: i.transcoderID)
        var errors = FieldErrors()
        if i.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if !(1...10_000_000).contains(i.capacityGB) { errors.add("capacityGB", "must be between 1 and 10,000,000 GB") }
        if !(0...i.capacityGB).contains(i.usedGB) { errors.add("usedGB", "must be between 0 and the capacity") }
        if !(1...3650).contains(i.retentionDays) { errors.add("retentionDays", "must be between 1 and 3650") }
        try errors.throwIfAny()
        let d: DVRStorageModel
        if let id {
            guard let found = try await DVRStorageModel.find(id, on: env.db), found.deploymentID == deploymentID else { throw DomainError.notFound("The DVR storage") }
            d = found
        } else { d = DVRStorageModel(); d.deploymentID = deploymentID }
        d.transcoderID = i.transcoderID; d.name = i.name.trimmingCharacters(in: .whitespaces); d.path = i.path; d.capacityGB = i.capacityGB
        d.retentionDays = i.retentionDays; d.usedGB = i.usedGB
        try await env.write { db in
            try await d.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "dvr_storage", entityID: String(d.id!),
                                          action: id == nil ? "create" : "update",
                                          after: ["name": d.name, "transcoderId": String(i.transcoderID), "capacityGb": String(i.capacityGB), "retentionDays": String(i.retentionDays)])
        }
        return d
    }

    public static func deleteDVR(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        guard let d = try await DVRStorageModel.find(id, on: env.db), d.deploymentID == deploymentID else { throw DomainError.notFound("The DVR storage") }
        try await env.write { db in
            try await d.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "dvr_storage", entityID: String(id), action: "delete",
                                          before: ["name": d.name])
        }
    }

    // MARK: Stream mappings (FLS Mapping / FLS Config)

    public static func mappings(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [StreamMappingModel] {
        try actor.require(.cms, in: deploymentID)
        return try await StreamMappingModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$streamName).all()
    }

    /// Maps a channel to a stream on a server. The channel's catch-up days may not exceed the
    /// stream's archive depth (the manual: they must be equal to the server's archive).
    public static func map(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channelID: Int, transcoderID: Int, streamName: String,
                           dvrDepthDays: Int) async throws -> StreamMappingModel {
        let t = try await transcoder(env, actor: actor, deploymentID: deploymentID, id: transcoderID)
        guard let channel = try await ChannelModel.find(channelID, on: env.db), channel.deploymentID == deploymentID else { throw DomainError.notFound("The channel") }
        let name = streamName.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if name.isEmpty || name.count > 200 || name.contains(where: { $0.isWhitespace || $0 == "?" || $0 == "#" }) {
            errors.add("streamName", "is the stream's name on the server (no spaces, ? or #)")
        }
        if !(0...3650).contains(dvrDepthDays) { errors.add("dvrDepthDays", "must be between 0 and 3650 (0 = the server's depth)") }
        let depth = dvrDepthDays > 0 ? dvrDepthDays : t.dvrDepthDays
        if channel.catchupDays > depth {
            errors.add("dvrDepthDays", "the channel offers \(channel.catchupDays) catch-up days but this stream keeps \(depth); lower the channel's CatchupTV days or deepen the archive")
        }
        try errors.throwIfAny()
        let m = try await StreamMappingModel.query(on: env.db).filter(\.$channelID == channelID).first() ?? StreamMappingModel()
        let isNew = m.id == nil
        if isNew || m.transcoderID != transcoderID || m.streamName != name { m.status = "unknown"; m.statusDetail = "" }
        if isNew { m.deploymentID = deploymentID; m.channelID = channelID }
        m.transcoderID = transcoderID; m.streamName = name; m.dvrDepthDays = dvrDepthDays
        try await env.write { db in
            try await m.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "stream_mapping", entityID: String(channelID),
                                          action: isNew ? "create" : "update", after: ["transcoderId": String(transcoderID), "streamName": name, "dvrDepthDays": String(dvrDepthDays)])
        }
        return m
    }

    public static func unmap(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, channelID: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        guard let m = try await StreamMappingModel.query(on: env.db).filter(\.$channelID == channelID).first(), m.deploymentID == deploymentID else {
            throw DomainError.notFound("The stream mapping")
        }
        try await env.write { db in
            try await m.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "stream_mapping", entityID: String(channelID), action: "delete",
                                          before: ["streamName": m.streamName])
        }
    }
}
