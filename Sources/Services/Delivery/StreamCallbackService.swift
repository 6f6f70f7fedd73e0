import Crypto
import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// The "call back instead of sign" adapters of issue 8: a streaming server asks TVMS whether a
/// viewer may play — Flussonic's auth backend, Nimble's pay-per-view handler, nginx's
/// `auth_request` — and the answer is bound to the playback that authorise recorded, the
/// customer's entitlement and the product's limit of simultaneous streams.
///
/// - A playback address of an item with token type `callback` carries `?token=<StreamTicket>`;
///   one with `nimble_ppv` a Nimble WMSAuth signature whose pay-per-view `id` is the ticket.
/// - Each streaming server has its own callback URL with a secret key in its path (stored as a
///   digest, shown once), so the endpoints are never an open oracle.
/// - The answer reads through the hot cache like playback does (the caller, the item's stream
///   names, the account, the entitlement, under keys of its own); the playback row itself is
///   read every time, and written only when its heartbeat is half-way stale.
/// docs/DELIVERY.md, "Callback adapters".
public enum StreamCallbackService {
    /// Item token type: `?token=<ticket>` for Flussonic's auth backend and nginx auth_request.
    public static let ticketTokenType = "callback"
    /// Item token type: Nimble WMSAuth (the `nimble` token setting) with the ticket as `id`.
    public static let nimblePPVTokenType = "nimble_ppv"
    /// Flussonic asks again after this many seconds (`X-AuthDuration`), so its `update_session`
    /// keeps the playback counted within PlaybackService.liveWindow.
    public static var recheckSeconds: Int { Int(PlaybackService.liveWindow / 2) }
    /// Callback keys are remembered this long; a key turned off or rotated on another node
    /// stops working within it (on this node at once).
    static let callerMemory: TimeInterval = 30
    public static let keyPrefix = "tvms_cb_"


    // MARK: Ticket settings (CMS › Settings › Token Settings › TVMS ticket)

    /// How tickets are minted: lifetime (how long a ticket may open a session), whether it is
    /// bound to the viewer's IP, and the query parameter it travels in. Stored as the token
    /// setting row of type `callback` (no secret: the key derives from the installation key).
    public struct TicketSetting: Sendable, Equatable {
        public var lifetimeSeconds: Int
        public var bindIP: Bool
        public var parameter: String
        public var enabled: Bool
        public init(lifetimeSeconds: Int = 3600, bindIP: Bool = false, parameter: String = "token", enabled: Bool = true) {
            self.lifetimeSeconds = lifetimeSeconds; self.bindIP = bindIP; self.parameter = parameter; self.enabled = enabled
        }
    }

    public static func ticketSetting(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> TicketSetting {
        try await env.hot.get("cbticket:\(deploymentID)", now: env.now) {
            guard let row = try await TokenSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
                .filter(\.$tokenType == ticketTokenType).first() else { return TicketSetting() }
            let param = DeliverySettingsService.parseOptions(row.options)["param"] ?? "token"
            return TicketSetting(lifetimeSeconds: row.lifetimeSeconds, bindIP: row.bindIP, parameter: param, enabled: row.enabled)
        }
    }

    public static func saveTicketSetting(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, setting s: TicketSetting) async throws {
        try actor.require(.cms, in: deploymentID)
        var errors = FieldErrors()
        if !(60...7 * 86_400).contains(s.lifetimeSeconds) { errors.add("lifetimeSeconds", "must be between 60 seconds and 7 days") }
        if s.parameter.isEmpty || s.parameter.count > 40 || !s.parameter.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            errors.add("options", "param is the query parameter name: letters, digits and _ (default token)")
        }
        try errors.throwIfAny()
        let existing = try await TokenSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$tokenType == ticketTokenType).first()
        let row = existing ?? TokenSettingModel()
        if existing == nil { row.deploymentID = deploymentID; row.tokenType = ticketTokenType; row.secretSealed = ""; row.secretHint = "" }
        row.lifetimeSeconds = s.lifetimeSeconds; row.bindIP = s.bindIP; row.options = s.parameter == "token" ? "" : "param=\(s.parameter)"; row.enabled = s.enabled
        try await env.write { db in
            try await row.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "token_setting", entityID: ticketTokenType,
                                          action: existing == nil ? "create" : "update",
                                          after: ["lifetimeSeconds": String(s.lifetimeSeconds), "bindIp": String(s.bindIP), "param": s.parameter, "enabled": String(s.enabled)])
        }
    }

    static func ticketKey(_ env: ServiceEnvironment) throws -> SymmetricKey {
        try env.secrets.derivedKey(purpose: "stream-ticket-v1")
    }

    // MARK: Minting — the hook in PlaybackService.authorise

    public struct Ticketed: Sendable { public var urls: [String]; public var expiresAt: Date }

    /// The playback addresses with the viewer's ticket, for an item whose token type is a
    /// callback type; nil for every other token type (PlaybackService then signs as before).
    /// The ticket names the device, item and kind of the playback authorise is about to record.
    public static func ticketed(_ env: ServiceEnvironment, urls: [String], tokenType: String, context ctx: DeviceSessionService.Context,
                                item: String, kind: String, ip: String) async throws -> Ticketed? {
        let now = env.now
        let start = Int64(now.timeIntervalSince1970.rounded(.down))
        switch tokenType {
        case ticketTokenType:
            let s = try await ticketSetting(env, deploymentID: ctx.deploymentID)
            guard s.enabled else {
                throw DomainError.refused("token_not_configured", "The stream cannot be given a ticket: the operator has turned TVMS tickets off.", .conflict)
            }
            let expires = start + Int64(s.lifetimeSeconds)
            let ticket = StreamTicket(deviceID: ctx.deviceID, item: item, kind: kind, expires: expires, boundToIP: s.bindIP)
                .encoded(deploymentID: ctx.deploymentID, ip: ip, key: try ticketKey(env))
            return Ticketed(urls: try urls.map { try StreamTicket.adding(ticket, as: s.parameter, to: $0) },
                            expiresAt: Date(timeIntervalSince1970: Double(expires)))
        case nimblePPVTokenType:
            // The operator's Nimble WMSAuth setting (own cache keys throughout, so a change in what
            // PlaybackService remembers never mixes types under one key).
            let deploymentID = ctx.deploymentID
            let stored: StreamTokenSetting? = try await env.hot.get("cbnimble:\(deploymentID)", now: now) {
                guard let row = try await TokenSettingModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
                    .filter(\.$tokenType == "nimble").filter(\.$enabled == true).first() else { return nil }
                return try StreamTokenSigning.setting(tokenType: "nimble", secret: try env.secrets.open(row.secretSealed),
                                                      lifetime: row.lifetimeSeconds, bindIP: row.bindIP, options: row.options)
            }
            guard var setting = stored else {
                throw DomainError.refused("token_not_configured", "The stream cannot be signed: the operator has not set up nimble tokens.", .conflict)
            }
            setting.options.nimble.payPerView = true
            let expires = start + Int64(setting.lifetimeSeconds)
            let ticket = StreamTicket(deviceID: ctx.deviceID, item: item, kind: kind, expires: expires, boundToIP: setting.bindClientIP)
                .encoded(deploymentID: ctx.deploymentID, ip: ip, key: try ticketKey(env))
            let signed = try urls.map { try StreamTokenSigning.sign($0, setting: setting, clientIP: ip, now: now, userID: ticket) }
            return Ticketed(urls: signed.map(\.url), expiresAt: Date(timeIntervalSince1970: Double(expires)))
        default:
            return nil
        }
    }

    // MARK: Who is calling

    /// A streaming server whose callback is on, as the callbacks need it.
    public struct Caller: Sendable {
        public var transcoderID: Int
        public var deploymentID: UUID
        public var name: String
        /// WMSPanel's push-API token (opened), "" when not set.
        public var ppvToken: String
    }

    /// The server whose callback URL carries `key`, or nil (unknown, turned off, malformed).
    public static func caller(_ env: ServiceEnvironment, key: String) async throws -> Caller? {
        guard key.hasPrefix(keyPrefix), key.count <= 100 else { return nil }
        let digest = Secrets.digest(key)
        return try await env.hot.get("cbcaller:\(digest)", now: env.now, ttl: callerMemory) {
            guard let t = try await TranscoderModel.query(on: env.db).filter(\.$callbackKeyDigest == digest).first(),
                  t.callbackEnabled, Secrets.equalDigests(t.callbackKeyDigest, digest) else { return nil }
            return Caller(transcoderID: t.id!, deploymentID: t.deploymentID, name: t.name,
                          ppvToken: t.ppvTokenSealed.isEmpty ? "" : try env.secrets.open(t.ppvTokenSealed))
        }
    }

    // MARK: The decision the three adapters share

    public enum Mode: Sendable {
        /// A new session (Flussonic `new_session`): the ticket must not have expired.
        case open
        /// A session that is running (Flussonic `update_session`, each nginx request, a Nimble
        /// sync): an expired ticket may go on while its playback is live.
        case `continue`
    }

    public struct Question: Sendable {
        public var ticket: String
        /// Flussonic `name`, the nginx request URI, Nimble `application/stream`.
        public var stream: String
        /// Flussonic `media_request` (DVR forms), when given.
        public var mediaRequest: String?
        /// The viewer's address as the server saw it ("" = not told).
        public var viewerIP: String
        public var mode: Mode
        public init(ticket: String, stream: String, mediaRequest: String? = nil, viewerIP: String, mode: Mode) {
            self.ticket = ticket; self.stream = stream; self.mediaRequest = mediaRequest; self.viewerIP = viewerIP; self.mode = mode
        }
    }

    public struct Allowed: Sendable, Equatable {
        public var playbackID: Int
        public var customerID: Int
        /// The product's simultaneous streams.
        public var maxStreams: Int
        /// Whether the heartbeat is half-way stale (a caller that writes in bulk touches it).
        var stale: Bool
    }

    public struct Denied: Error, Sendable, Equatable {
        /// no_ticket, bad_ticket, other_ip, ticket_expired, playback_ended, wrong_stream,
        /// catchup_not_allowed, not_served, not_entitled, unavailable, ip_not_allowed,
        /// max_streams_reached.
        public var code: String
        public var message: String
    }

    /// Whether the viewer may go on. `touch`: refresh the heartbeat here (Flussonic, nginx);
    /// the Nimble sync does it in bulk instead.
    public static func decide(_ env: ServiceEnvironment, caller: Caller, question q: Question, touch: Bool = true) async throws -> Result<Allowed, Denied> {
        let now = env.now
        let nowUnix = Int64(now.timeIntervalSince1970.rounded(.down))
        func deny(_ code: String, _ message: String) -> Result<Allowed, Denied> { .failure(Denied(code: code, message: message)) }
        guard !q.ticket.isEmpty else { return deny("no_ticket", "The request carries no TVMS ticket.") }
        let key = try ticketKey(env)

        let ticket: StreamTicket
        switch StreamTicket.decode(q.ticket, deploymentID: caller.deploymentID, ip: q.viewerIP, key: key) {
        case .success(let t): ticket = t
        case .failure(.malformed): return deny("bad_ticket", "The ticket is not one TVMS issued.")
        case .failure(.badSignature):
            let viewer = q.viewerIP.isEmpty ? "an address not given" : q.viewerIP
            if try await ipProblem(env, caller: caller, ticket: q.ticket, viewerIP: q.viewerIP, key: key) != nil {
                return deny("other_ip", "The ticket is bound to the address that asked to play, not to \(viewer).")
            }
            return deny("bad_ticket", "The ticket is not valid here (altered, of another operator, or bound to an address other than \(viewer)).")
        }
        if q.mode == .open && ticket.expires < nowUnix {
            return deny("ticket_expired", "The ticket expired; the player must ask TVMS to play again.")
        }

        // The playback authorise recorded for this device and item (a new playback on the
        // device, a stop or a sign-out ends it).
        guard let p = try await PlaybackSessionModel.query(on: env.db).filter(\.$deploymentID == caller.deploymentID)
            .filter(\.$deviceID == ticket.deviceID).filter(\.$item == ticket.item).filter(\.$kind == ticket.kind).filter(\.$endedAt == nil)
            .sort(\.$id, .descending).first() else {
            return deny("playback_ended", "This playback has ended (stopped, replaced by another on the device, or signed out).")
        }

        // The stream asked about is the item's (its FLS Mapping name or one of its addresses).
        let streams = try await itemStreams(env, deploymentID: caller.deploymentID, item: ticket.item)
        guard streams.keys.contains(where: { StreamPaths.matches(q.stream, key: $0) }) else {
            return deny("wrong_stream", "The ticket is for \(ticket.item), not for \(StreamPaths.normalised(q.stream)).")
        }
        if streams.isChannel, ticket.kind != "recording", let from = StreamPaths.archiveStart(path: q.stream, mediaRequest: q.mediaRequest, now: nowUnix) {
            let oldest = nowUnix - Int64(streams.catchupDays) * 86_400 - 300
            if streams.catchupDays == 0 || from < oldest {
                return deny("catchup_not_allowed", streams.catchupDays == 0 ? "This channel has no catch-up."
                            : "The archive request reaches back further than the channel's \(streams.catchupDays) days of catch-up.")
            }
        }

        // The customer may still watch it.
        guard let account: PlaybackService.Account = try await env.hot.get("cbaccount:\(p.customerID)", now: now, load: {
            guard let c = try await CustomerModel.find(p.customerID, on: env.db), c.deletedAt == nil,
                  let product = try await ProductModel.find(c.productID, on: env.db) else { return nil }
            return PlaybackService.Account(customer: c, product: product)
        }) else { return deny("not_served", "The account cannot watch.") }
        if !q.viewerIP.isEmpty, let problem = PlaybackService.ipProblem(product: account.product, ip: q.viewerIP) { return deny("ip_not_allowed", problem) }
        guard let ref = ContentRef(ticket.item) else { return deny("bad_ticket", "The ticket names no item.") }
        let decision: Entitlements.Decision = try await env.hot.get("cbentitled:\(p.customerID):\(ref)", now: now) {
            try await Entitlements.decide(env, customer: account.customer, ref: ref)
        }
        switch decision {
        case .allowed: break
        case .notServed(let status): return deny("not_served", "The subscription is \(status.rawValue).")
        case .notInPackages: return deny("not_entitled", "This item is no longer in the subscription.")
        case .disabledItem: return deny("unavailable", "This item is not available now.")
        }

        // Counted while live; a playback gone quiet is taken up again only with a valid ticket
        // and within the product's limit of simultaneous streams.
        let limit = account.product.maxDevices
        let since = now.addingTimeInterval(-PlaybackService.liveWindow)
        let playbackID = p.id!
        if p.lastSeenAt > since {
            let stale = now.timeIntervalSince(p.lastSeenAt) > PlaybackService.liveWindow / 2
            if stale && touch { try await touchPlaybacks(env, ids: [playbackID]) }
            return .success(Allowed(playbackID: playbackID, customerID: p.customerID, maxStreams: limit, stale: stale))
        }
        if ticket.expires < nowUnix {
            return deny("ticket_expired", "The ticket expired and its playback is no longer live; the player must ask TVMS to play again.")
        }
        let customerID = p.customerID
        let others = try await env.writeKeepingCache { db -> Int in
            if db.dialect == .postgres {
                _ = try await db.sql.raw("SELECT id FROM customers WHERE id = \(bind: customerID) FOR UPDATE").all()
            }
            let others = try await PlaybackSessionModel.query(on: db).filter(\.$customerID == customerID).filter(\.$endedAt == nil)
                .filter(\.$lastSeenAt > since).filter(\.$id != playbackID).count()
            if others < limit {
                try await PlaybackSessionModel.query(on: db).filter(\.$id == playbackID).filter(\.$endedAt == nil).set(\.$lastSeenAt, to: now).update()
            }
            return others
        }
        if others >= limit {
            return deny("max_streams_reached", "This account already plays on \(others) devices, the most its product allows at the same time.")
        }
        return .success(Allowed(playbackID: playbackID, customerID: customerID, maxStreams: limit, stale: false))
    }

    /// For a bound ticket that fails its check: "other_ip" when it is right for the address its
    /// playback was started from (a clearer refusal than "bad_ticket"), else nil.
    static func ipProblem(_ env: ServiceEnvironment, caller: Caller, ticket text: String, viewerIP: String, key: SymmetricKey) async throws -> String? {
        let f = text.split(separator: ".", omittingEmptySubsequences: false)
        guard f.count == 8, f[6] == "b", let device = Int(f[1]) else { return nil }
        let item = "\(f[2]):\(f[3])"
        guard let p = try await PlaybackSessionModel.query(on: env.db).filter(\.$deploymentID == caller.deploymentID).filter(\.$deviceID == device)
            .filter(\.$item == item).sort(\.$id, .descending).first(), p.ip != viewerIP else { return nil }
        if case .success = StreamTicket.decode(text, deploymentID: caller.deploymentID, ip: p.ip, key: key) { return "other_ip" }
        return nil
    }

    /// Heartbeats now for these playbacks (still running ones only), in one write.
    static func touchPlaybacks(_ env: ServiceEnvironment, ids: [Int], viewed: [Int: Int64] = [:]) async throws {
        guard !ids.isEmpty || !viewed.isEmpty else { return }
        let now = env.now
        try await env.writeKeepingCache { db in
            for chunk in ids.chunked(500) {
                try await PlaybackSessionModel.query(on: db).filter(\.$id ~~ chunk).filter(\.$endedAt == nil).set(\.$lastSeenAt, to: now).update()
            }
            for (id, seconds) in viewed where seconds > 0 {
                try await db.sql.raw("UPDATE playback_sessions SET viewed_seconds = COALESCE(viewed_seconds, 0) + \(bind: seconds) WHERE id = \(bind: id)").run()
            }
        }
    }

    /// What a stream request is compared with: the channel's FLS Mapping stream name and the
    /// keys of the item's addresses; for channels also their catch-up days.
    struct ItemStreams: Sendable { var keys: [String]; var isChannel: Bool; var catchupDays: Int }

    static func itemStreams(_ env: ServiceEnvironment, deploymentID: UUID, item: String) async throws -> ItemStreams {
        try await env.hot.get("cbitem:\(deploymentID):\(item)", now: env.now) {
            guard let ref = ContentRef(item) else { return ItemStreams(keys: [], isChannel: false, catchupDays: 0) }
            if ref.kind == "channel" {
                guard let c = try await ChannelModel.find(ref.id, on: env.db), c.deploymentID == deploymentID else {
                    return ItemStreams(keys: [], isChannel: true, catchupDays: 0)
                }
                var keys = [c.hlsURL, c.dashURL, c.fallbackURL].compactMap(StreamPaths.key(ofAddress:))
                if let m = try await StreamMappingModel.query(on: env.db).filter(\.$channelID == ref.id).first(), m.deploymentID == deploymentID {
                    keys.insert(StreamPaths.normalised(m.streamName), at: 0)
                }
                return ItemStreams(keys: keys.filter { !$0.isEmpty }, isChannel: true, catchupDays: c.catchupDays)
            }
            guard let v = try await VoDItemModel.find(ref.id, on: env.db), v.deploymentID == deploymentID else {
                return ItemStreams(keys: [], isChannel: false, catchupDays: 0)
            }
            return ItemStreams(keys: [v.streamURL].compactMap(StreamPaths.key(ofAddress:)), isChannel: false, catchupDays: 0)
        }
    }

    // MARK: Nimble pay-per-view

    public struct NimbleOutcome: Sendable {
        public var answer: NimblePPV.Answer
        /// Viewers in the sync, and whether this sync's viewing time was counted (false for a
        /// retry of a sync already counted).
        public var viewers: Int
        public var counted: Bool
    }

    /// One pay-per-view sync: checks WMSPanel's signature when a token is set, refreshes the
    /// heartbeats of the playbacks still watched, adds their viewing time once per sync (a
    /// retried POST counts nothing again), and answers with the ids to disconnect.
    public static func nimbleSync(_ env: ServiceEnvironment, caller: Caller, body: [UInt8]) async throws -> NimbleOutcome {
        let sync: NimblePPV.Sync
        do { sync = try JSONDecoder().decode(NimblePPV.Sync.self, from: Data(body)) } catch {
            throw DomainError.validation(["body": "is not a pay-per-view sync (JSON with PayPerViewInfo); set the handler's format to JSON in WMSPanel"])
        }
        if !caller.ppvToken.isEmpty {
            guard let id = sync.ID, let puzzle = sync.Puzzle, let signature = sync.Signature,
                  Secrets.equalDigests(NimblePPV.signature(id: id, puzzle: puzzle, token: caller.ppvToken), signature) else {
                throw DomainError.refused("bad_signature", "The sync's Signature does not match the WMSPanel push-API token stored for \(caller.name).")
            }
        }
        let now = env.now
        let digest = Data(SHA256.hash(data: Data(body))).base64EncodedString()
        let (deploymentID, transcoderID) = (caller.deploymentID, caller.transcoderID)
        let counted = try await env.writeKeepingCache { db -> Bool in
            !(try await db.sql.raw("""
                INSERT INTO stream_callback_syncs (deployment_id, transcoder_id, sync_digest, received_at)
                VALUES (\(bind: deploymentID), \(bind: transcoderID), \(bind: digest), \(bind: now))
                ON CONFLICT (transcoder_id, sync_digest) DO NOTHING
                RETURNING id
                """).all()).isEmpty
        }

        do {
            return try await answerSync(env, caller: caller, sync: sync, counted: counted)
        } catch {
            // A failure gives the sync back, so Nimble's retry counts its time (as idempotency keys do).
            if counted {
                try? await env.writeKeepingCache { db in
                    try await StreamCallbackSyncModel.query(on: db).filter(\.$transcoderID == transcoderID).filter(\.$syncDigest == digest).delete()
                }
            }
            throw error
        }
    }

    static func answerSync(_ env: ServiceEnvironment, caller: Caller, sync: NimblePPV.Sync, counted: Bool) async throws -> NimbleOutcome {
        var deny: [String] = []
        var touch: Set<Int> = []
        var viewed: [Int: Int64] = [:]
        var verdicts: [String: Result<Allowed, Denied>] = [:]
        let viewers = NimblePPV.viewers(sync)
        for v in viewers {
            let verdict: Result<Allowed, Denied>
            if let known = verdicts[v.id + "\u{1F}" + v.stream] { verdict = known } else {
                verdict = try await decide(env, caller: caller, question: Question(ticket: v.id, stream: v.stream, viewerIP: v.ip, mode: .continue), touch: false)
                verdicts[v.id + "\u{1F}" + v.stream] = verdict
            }
            switch verdict {
            case .success(let a):
                if a.stale { touch.insert(a.playbackID) }
                if counted { viewed[a.playbackID, default: 0] += v.deltaMilliseconds }
            case .failure:
                if !deny.contains(v.id) { deny.append(v.id) }
            }
        }
        try await touchPlaybacks(env, ids: Array(touch).sorted(), viewed: viewed.mapValues { ($0 + 500) / 1000 })
        let solution = caller.ppvToken.isEmpty ? nil : sync.Puzzle.map { NimblePPV.solution(puzzle: $0, token: caller.ppvToken) }
        return NimbleOutcome(answer: NimblePPV.Answer(deny: deny, solution: solution), viewers: viewers.count, counted: counted)
    }

    // MARK: Operator settings (CMS › Transcoders › a server)

    /// The callback URLs of a server for its key, as pasted into each server's configuration.
    public struct CallbackURLs: Sendable, Equatable {
        public var flussonic: String
        public var nimble: String
        public var nginx: String
        public init(base: String, key: String) {
            var b = base
            while b.hasSuffix("/") { b.removeLast() }
            flussonic = "\(b)/stream-auth/flussonic/\(key)"
            nimble = "\(b)/stream-auth/nimble/\(key)"
            nginx = "\(b)/stream-auth/nginx/\(key)"
        }
    }

    /// Turns a server's callback on or off and stores or keeps its WMSPanel token (nil or empty
    /// keeps it; `clearPPVToken` removes it). Returns the new callback key when the callback was
    /// turned on now — the only time it is shown. Saving again with the callback already on
    /// changes nothing (a resubmitted form does not rotate the key).
    public static func configure(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, transcoderID: Int, enabled: Bool,
                                 ppvToken: String? = nil, clearPPVToken: Bool = false) async throws -> String? {
        let t = try await DeliverySettingsService.transcoder(env, actor: actor, deploymentID: deploymentID, id: transcoderID)
        let token = (ppvToken ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if token.count > 200 { throw DomainError.validation(["ppvToken": "is at most 200 characters"]) }
        var key: String? = nil
        var after: [String: String?] = [:]
        if enabled && !t.callbackEnabled {
            let k = Secrets.generate(prefix: keyPrefix)
            t.callbackKeyDigest = Secrets.digest(k); t.callbackKeyHint = Secrets.hint(k); t.callbackEnabled = true
            key = k
            after["callbackEnabled"] = "true"; after["callbackKey"] = "changed"
        } else if !enabled && t.callbackEnabled {
            t.callbackEnabled = false; t.callbackKeyDigest = ""; t.callbackKeyHint = ""
            after["callbackEnabled"] = "false"
        }
        if !token.isEmpty {
            t.ppvTokenSealed = try env.secrets.seal(token); t.ppvTokenHint = Secrets.hint(token)
            after["ppvToken"] = "changed"
        } else if clearPPVToken && !t.ppvTokenSealed.isEmpty {
            t.ppvTokenSealed = ""; t.ppvTokenHint = ""
            after["ppvToken"] = "removed"
        }
        guard !after.isEmpty else { return nil }
        let changes = after
        try await env.write { db in
            try await t.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "transcoder", entityID: String(transcoderID),
                                          action: "callback", after: changes)
        }
        return key
    }

    /// A new callback key for a server whose callback is on; the old one stops working at once
    /// on this node, within `callerMemory` on the others.
    public static func rotateKey(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, transcoderID: Int) async throws -> String {
        let t = try await DeliverySettingsService.transcoder(env, actor: actor, deploymentID: deploymentID, id: transcoderID)
        guard t.callbackEnabled else {
            throw DomainError(.conflict, code: "callback_off", "The callback of \(t.name) is off; turn it on to get a key.")
        }
        let k = Secrets.generate(prefix: keyPrefix)
        t.callbackKeyDigest = Secrets.digest(k); t.callbackKeyHint = Secrets.hint(k)
        try await env.write { db in
            try await t.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "transcoder", entityID: String(transcoderID),
                                          action: "callback_rotate", after: ["callbackKey": "changed"])
        }
        return k
    }
}
