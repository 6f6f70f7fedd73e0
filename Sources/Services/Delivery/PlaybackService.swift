import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Playback authorisation, the hot path of the system: a signed-in device asks to play an item
/// and gets the addresses to try (signed for this viewer), DRM data and ad flags — after the
/// checks that the subscription is served, the item is entitled, the parental lock is opened,
/// the device's IP is allowed and the product's limit of simultaneous streams is kept.
public enum PlaybackService {
    /// A playback counts towards the stream limit while its heartbeat is this recent.
    public static let liveWindow: TimeInterval = 120
    /// Catch-up ranges are cut at this length (a whole evening).
    public static let maxArchiveSeconds = 8 * 3600

    public enum Kind: String, Sendable, CaseIterable { case live, catchup, recording, vod }

    public struct Request: Sendable {
        public var kind: Kind
        /// "channel:3" for live and catch-up; "movie:12", "episode:40", "song:7", "lesson:5" for VoD.
        public var item: ContentRef?
        public var recordingID: Int?
        /// Catch-up: the programme's start and stop (UTC).
        public var start: Date?
        public var stop: Date?
        public var pin: String?
        /// The profile watching (subscriber API): items above its age limit are refused.
        public var profileID: Int?
        public init(kind: Kind, item: ContentRef? = nil, recordingID: Int? = nil, start: Date? = nil, stop: Date? = nil, pin: String? = nil, profileID: Int? = nil) {
            self.kind = kind; self.item = item; self.recordingID = recordingID; self.start = start; self.stop = stop; self.pin = pin; self.profileID = profileID
        }
    }

    public struct Ads: Sendable, Codable, Equatable {
        public var vastURL: String
        public var preroll: Bool
        public var overlay: Bool
        public var ticker: Bool
    }

    public struct Grant: Sendable, Codable {
        public var playbackID: Int
        public var kind: String
        public var item: String
        /// hls, dash or mp4.
        public var format: String
        public var url: String
        /// Further addresses to try in order when `url` fails (other CDN edges, the fallback stream).
        public var backups: [String]
        public var expiresAt: Date?
        public var drm: DRMGrant?
        public var ads: Ads
    }


    /// Why a product's IP rules refuse an address, or nil when they allow it.
    public static func ipProblem(product: ProductModel, ip: String) -> String? {
        let blocked = product.ipBlocked.split(whereSeparator: \.isNewline).compactMap { CIDR(String($0)) }
        if blocked.contains(where: { $0.contains(ip) }) { return "Watching from \(ip) is blocked for this subscription." }
        let allowed = product.ipAllowed.split(whereSeparator: \.isNewline).compactMap { CIDR(String($0)) }
        if !allowed.isEmpty && !allowed.contains(where: { $0.contains(ip) }) { return "Watching from \(ip) is not allowed for this subscription." }
        return nil
    }

    /// What a stored item plays: its URLs, protection, parental flag and ads.
    struct Playable {
        var ref: ContentRef
        var hls: String, dash: String, fallback: String
        var tokenType: String, drm: String
        var parental: Bool
        var ads: Ads
        var channel: ChannelModel?
    }

    public static func authorise(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, request r: Request, ip: String) async throws -> Grant {
        // Rows every request needs are read through the hot cache (a few seconds; see HotCache).
        let account: Account? = try await env.hot.get("account:\(ctx.customerID)", now: env.now) {
            guard let c = try await CustomerModel.find(ctx.customerID, on: env.db), c.deletedAt == nil,
                  let p = try await ProductModel.find(c.productID, on: env.db) else { return nil }
            return Account(customer: c, product: p)
        }
        guard let account else { throw DomainError.refused("not_served", "The account cannot watch.") }
        let (customer, product) = (account.customer, account.product)
        if let problem = ipProblem(product: product, ip: ip) { throw DomainError.refused("ip_not_allowed", problem) }

        // What to play and its window.
        var playable: Playable
        var archive: (start: Date, seconds: Int)? = nil
        switch r.kind {
        case .live, .catchup:
            guard let ref = r.item, ref.kind == "channel" else { throw DomainError.validation(["item": "must be a channel, e.g. channel:3"]) }
            playable = try await cachedChannel(env, ref: ref, deploymentID: ctx.deploymentID)
            if r.kind == .catchup {
                guard let start = r.start, let stop = r.stop, stop > start else { throw DomainError.validation(["start": "catch-up needs the programme's start and stop"]) }
                let days = playable.channel!.catchupDays
                guard days > 0 else { throw DomainError.refused("catchup_unavailable", "This channel has no catch-up.", .conflict) }
                guard start < env.now else { throw DomainError.refused("not_yet_aired", "The programme has not started yet.", .conflict) }
                guard start >= env.now.addingTimeInterval(-Double(days) * 86_400) else {
                    throw DomainError.refused("catchup_expired", "The programme is older than the channel's \(days) days of catch-up.", .conflict)
                }
                archive = (start, min(Int(stop.timeIntervalSince(start)), maxArchiveSeconds))
            }
        case .recording:
            guard let id = r.recordingID, let rec = try await RecordingModel.find(id, on: env.db), rec.customerID == ctx.customerID, rec.deletedAt == nil else {
                throw DomainError.notFound("The recording")
            }
            guard rec.state == "done" || rec.state == "recording" else { throw DomainError.refused("recording_not_ready", "The recording is \(rec.state).", .conflict) }
            playable = try await cachedChannel(env, ref: .channel(rec.channelID), deploymentID: ctx.deploymentID)
            archive = (rec.start, min(Int(min(rec.stop, env.now).timeIntervalSince(rec.start)), maxArchiveSeconds))
        case .vod:
            guard let ref = r.item, let kind = VoDKind(rawValue: ref.kind), kind.playable else {
                throw DomainError.validation(["item": "must be a movie, episode, song or lesson, e.g. movie:12"])
            }
            guard let v = try await VoDItemModel.find(ref.id, on: env.db), v.deploymentID == ctx.deploymentID, v.kind == ref.kind else { throw DomainError.notFound("The item") }
            playable = Playable(ref: ref, hls: v.streamURL, dash: "", fallback: "", tokenType: v.tokenType, drm: v.drm, parental: v.parental || v.ageRating >= 18,
                                ads: Ads(vastURL: v.vastURL, preroll: v.preroll, overlay: v.overlay, ticker: v.ticker))
        }

        // Entitlement (a recording was entitled when it was scheduled; the channel must still be).
        let decision: Entitlements.Decision = try await env.hot.get("entitled:\(ctx.customerID):\(playable.ref)", now: env.now) {
            try await Entitlements.decide(env, customer: customer, ref: playable.ref)
        }
        switch decision {
        case .allowed: break
        case .notServed(let status): throw DomainError.refused("not_served", "The subscription is \(status.rawValue).")
        case .notInPackages: throw DomainError.refused("not_entitled", "This item is not in the subscription. It may be offered as pay-per-view.")
        case .disabledItem: throw DomainError.refused("unavailable", "This item is not available now.", .conflict)
        }
        // The profile's age limit refuses (`profile_restricted`); the account's own limit asks for the PIN.
        if try await ProfileService.playbackCheck(env, context: ctx, customer: customer, profileID: r.profileID, ref: playable.ref, channel: playable.channel) {
            playable.parental = true
        }
        if playable.parental {
            guard let pin = r.pin else { throw DomainError.refused("parental_pin_required", "This item is age-restricted: enter the parental PIN.") }
            if let until = customer.pinLockedUntil, until > env.now {
                throw DomainError.refused("parental_pin_locked", "Too many wrong PINs. Try again after \(Int(until.timeIntervalSince(env.now) / 60) + 1) minutes.", .locked)
            }
            let right = ParentalPIN.matches(customerID: customer.id!, stored: customer.parentalPINDigest, pin: pin)
            try await DeviceSessionService.countAttempt(env, customer: customer, kind: .pin, success: right)
            guard right else { throw DomainError.refused("parental_pin_wrong", "The parental PIN is wrong.") }
        }

        // Where to play from, then sign.
        let family = ctx.family
        let route: Route = try await env.hot.get("route:\(playable.ref)", now: env.now) {
            guard playable.channel != nil, let m = try await StreamMappingModel.query(on: env.db).filter(\.$channelID == playable.ref.id).first() else { return Route() }
            return Route(mapping: m, transcoder: try await TranscoderModel.find(m.transcoderID, on: env.db))
        }
        let (mapping, transcoder) = (route.mapping, route.transcoder)
        let stored = StreamRouting.candidates(hls: playable.hls, dash: playable.dash, fallback: playable.fallback, family: family,
                                              primaryDown: mapping?.status == "down")
        guard !stored.isEmpty else { throw DomainError.refused("no_stream", "This item has no stream address yet.", .conflict) }
        let hosts = try await hostsInOrder(env, deploymentID: ctx.deploymentID, transcoder: transcoder, key: String(ctx.sessionID))
        var urls: [String] = []
        for s in stored {
            if s.hasPrefix("/") { urls += hosts.map { StreamRouting.resolve(s, on: $0) } } else { urls.append(s) }
        }
        if urls.isEmpty || urls.allSatisfy({ $0.hasPrefix("/") }) {
            throw DomainError.refused("no_stream_host", "The stream path needs a CDN hostname or a streaming server; none is configured.", .conflict)
        }
        urls = urls.filter { !$0.hasPrefix("/") }
        if let archive {
            guard let transcoder, let form = ArchiveServer(rawValue: transcoder.archiveForm) else {
                throw DomainError.refused("catchup_unavailable", "This channel is not mapped to a streaming server with an archive.", .conflict)
            }
            let mode: FlussonicArchiveMode = r.kind == .catchup && archive.start.addingTimeInterval(Double(archive.seconds)) > env.now ? .timeshiftAbs : .archive
            urls = urls.map { CatchupURLs.archive(live: $0, server: form, start: archive.start, duration: archive.seconds, flussonicMode: mode,
                                                  queryNames: (transcoder.archiveStartParam, transcoder.archiveEndParam)) }
        }
        var expiresAt: Date? = nil
        // Callback token types get a TVMS ticket instead of a signature (StreamCallbackService).
        if let ticketed = try await StreamCallbackService.ticketed(env, urls: urls, tokenType: playable.tokenType, context: ctx,
                                                                   item: playable.ref.description, kind: r.kind.rawValue, ip: ip) {
            urls = ticketed.urls
            expiresAt = ticketed.expiresAt
        } else if playable.tokenType != "none" {
            let tokenType = playable.tokenType
            let signer: StreamTokenSetting? = try await env.hot.get("token:\(ctx.deploymentID):\(tokenType)", now: env.now) {
                guard let setting = try await TokenSettingModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID)
                    .filter(\.$tokenType == tokenType).filter(\.$enabled == true).first() else { return nil }
                return try StreamTokenSigning.setting(tokenType: tokenType, secret: try env.secrets.open(setting.secretSealed),
                                                      lifetime: setting.lifetimeSeconds, bindIP: setting.bindIP, options: setting.options)
            }
            guard let signer else {
                throw DomainError.refused("token_not_configured", "The stream cannot be signed: the operator has not set up \(tokenType) tokens.", .conflict)
            }
            var signed: [String] = []
            for u in urls {
                let s = try StreamTokenSigning.sign(u, setting: signer, clientIP: ip, now: env.now, userID: String(customer.id!))
                signed.append(s.url)
                expiresAt = s.expiresAt
            }
            urls = signed
        }
        var drm: DRMGrant? = nil
        if playable.drm != "none" {
            let vendor = playable.drm
            let account: DRMAccount? = try await env.hot.get("drm:\(ctx.deploymentID):\(vendor)", now: env.now) {
                guard let d = try await DRMSettingModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$vendor == vendor)
                    .filter(\.$enabled == true).first() else { return nil }
                return DRMAccount(setting: d, key: try env.secrets.open(d.keySealed))
            }
            guard let account else {
                throw DomainError.refused("drm_not_configured", "The item is protected with \(vendor) but the operator has not set up that DRM account.", .conflict)
            }
            let d = account.setting
            let system = DRMTokens.system(for: family, deviceType: ctx.deviceType)
            let license = system == "fairplay" ? d.fairplayURL : system == "playready" ? (d.playreadyURL.isEmpty ? d.widevineURL : d.playreadyURL) : d.widevineURL
            guard !license.isEmpty else { throw DomainError.refused("drm_not_configured", "No \(system) licence server is set for \(playable.drm).", .conflict) }
            let key = account.key
            drm = DRMGrant(system: system, licenseURL: license, certificateURL: system == "fairplay" ? d.fairplayCertificateURL : "",
                           headerName: DRMTokens.headerName(vendor: d.vendor),
                           token: DRMTokens.jwt(vendor: d.vendor, accountID: d.accountID, key: key, customer: String(customer.id!), content: playable.ref.description,
                                                system: system, issuedAt: env.now, lifetime: d.lifetimeSeconds, tokenID: UUID().uuidString.lowercased()),
                           expiresAt: env.now.addingTimeInterval(Double(d.lifetimeSeconds)))
        }

        let playbackID = try await startPlayback(env, context: ctx, product: product, item: playable.ref.description, kind: r.kind.rawValue, ip: ip)
        let first = urls[0]
        let format = first.contains(".mpd") ? "dash" : first.contains(".m3u8") ? "hls" : first.contains(".mp4") ? "mp4" : (family == .apple ? "hls" : "dash")
        return Grant(playbackID: playbackID, kind: r.kind.rawValue, item: playable.ref.description, format: format, url: first, backups: Array(urls.dropFirst()),
                     expiresAt: expiresAt, drm: drm, ads: playable.ads)
    }

    /// What the hot cache keeps for a request: the customer with its product, a channel's stream
    /// mapping and server, a DRM account with its opened key.
    struct Account: @unchecked Sendable { var customer: CustomerModel; var product: ProductModel }
    struct Route: @unchecked Sendable { var mapping: StreamMappingModel? = nil; var transcoder: TranscoderModel? = nil }
    struct DRMAccount: @unchecked Sendable { var setting: DRMSettingModel; var key: String }

    static func cachedChannel(_ env: ServiceEnvironment, ref: ContentRef, deploymentID: UUID) async throws -> Playable {
        try await env.hot.get("channel:\(ref.id)", now: env.now) { try await channel(env, ref: ref, deploymentID: deploymentID) }
    }

    static func channel(_ env: ServiceEnvironment, ref: ContentRef, deploymentID: UUID) async throws -> Playable {
        guard let c = try await ChannelModel.find(ref.id, on: env.db), c.deploymentID == deploymentID else { throw DomainError.notFound("The channel") }
        return Playable(ref: ref, hls: c.hlsURL, dash: c.dashURL, fallback: c.fallbackURL, tokenType: c.tokenType, drm: c.drm, parental: c.parental || c.ageRating >= 18,
                        ads: Ads(vastURL: c.vastURL, preroll: c.preroll, overlay: c.overlay, ticker: c.ticker), channel: c)
    }

    /// CDN hostnames (enabled; available first), then the item's streaming server as the origin.
    static func hostsInOrder(_ env: ServiceEnvironment, deploymentID: UUID, transcoder: TranscoderModel?, key: String) async throws -> [StreamHost] {
        let cdns: [CDNHostnameModel] = try await env.hot.get("cdn:\(deploymentID)", now: env.now) {
            try await CDNHostnameModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$enabled == true).all()
        }
        var hosts = StreamRouting.order(cdns.map { StreamHost(id: $0.id!, baseURL: $0.baseURL, priority: $0.priority, weight: $0.weight, available: $0.status != "down") }, key: key)
        if let t = transcoder, t.enabled { hosts.append(StreamHost(id: -t.id!, baseURL: t.baseURL, priority: Int.max, weight: 1, available: t.status != "down")) }
        return hosts
    }

    /// Counts the customer's other playbacks and records this one, in one write transaction so
    /// two devices starting at once cannot both take the last stream. A device asking again for
    /// what it already plays (a player retry, a token refresh) keeps its playback: no new row,
    /// no limit check, and a write only when its heartbeat is half-way stale.
    /// What this process last recorded for a device: its playback, of what, last written when.
    struct CurrentPlayback: Sendable { var id: Int; var item: String; var kind: String; var lastSeen: Date }

    static func startPlayback(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, product: ProductModel, item: String, kind: String, ip: String) async throws -> Int {
        let now = env.now
        // Xtream logins share one device per account: there each client address is its own player.
        let key = "playing:\(ctx.deviceID)" + (ctx.playbacksPerAddress ? "@\(ip)" : "")
        let sameDevice: @Sendable (QueryBuilder<PlaybackSessionModel>) -> QueryBuilder<PlaybackSessionModel> = { q in
            q.filter(\.$deviceID == ctx.deviceID).filter(\.$endedAt == nil)
            if ctx.playbacksPerAddress { q.filter(\.$ip == ip) }
            return q
        }
        // The same request again from the same device (retries, token refreshes) is answered from
        // memory while its heartbeat is fresh; a stop on another node is seen within HotCache.ttl.
        // The device's open playback is reloaded by one request when the memory expires (see
        // HotCache), not by every request in flight.
        let current: CurrentPlayback? = try await env.hot.get(key, now: now) {
            guard let p = try await sameDevice(PlaybackSessionModel.query(on: env.db))
                .filter(\.$lastSeenAt > now.addingTimeInterval(-liveWindow)).sort(\.$lastSeenAt, .descending).first() else { return nil }
            return CurrentPlayback(id: p.id!, item: p.item, kind: p.kind, lastSeen: p.lastSeenAt)
        }
        if let c = current, c.item == item, c.kind == kind, now.timeIntervalSince(c.lastSeen) <= liveWindow {
            if now.timeIntervalSince(c.lastSeen) > liveWindow / 2 {
                // Marked fresh in memory before the write, so requests arriving meanwhile do not
                // all write the same heartbeat.
                env.hot.store(key, CurrentPlayback(id: c.id, item: item, kind: kind, lastSeen: now), now: now)
                do {
                    try await env.writeKeepingCache { db in try await PlaybackSessionModel.query(on: db).filter(\.$id == c.id).set(\.$lastSeenAt, to: now).update() }
                } catch {
                    env.hot.remove(key)
                    throw error
                }
            }
            return c.id
        }
        let since = now.addingTimeInterval(-liveWindow)
        let limit = product.maxDevices
        env.hot.remove(key)
        let id = try await env.writeKeepingCache { db in
            if db.dialect == .postgres {
                // Row lock on the customer serialises concurrent starts of one account.
                _ = try await db.sql.raw("SELECT id FROM customers WHERE id = \(bind: ctx.customerID) FOR UPDATE").all()
            }
            try await sameDevice(PlaybackSessionModel.query(on: db)).set(\.$endedAt, to: now).update()
            try await CustomerDeviceModel.query(on: db).filter(\.$id == ctx.deviceID).set(\.$lastSeenAt, to: now).set(\.$ip, to: ip).update()
            let others = try await PlaybackSessionModel.query(on: db).filter(\.$customerID == ctx.customerID).filter(\.$endedAt == nil)
                .filter(\.$lastSeenAt > since).count()
            if others >= limit {
                throw DomainError.refused("max_streams_reached", "This account already plays on \(others) devices, the most its product allows at the same time. Stop one first.", .conflict)
            }
            let p = PlaybackSessionModel()
            p.deploymentID = ctx.deploymentID; p.customerID = ctx.customerID; p.deviceID = ctx.deviceID; p.item = item; p.kind = kind; p.ip = ip
            p.startedAt = now; p.lastSeenAt = now
            try await p.create(on: db)
            return p.id!
        }
        env.hot.store(key, CurrentPlayback(id: id, item: item, kind: kind, lastSeen: now), now: now)
        return id
    }

    /// Keeps a playback counted (the apps call it every minute or so while playing).
    public static func heartbeat(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, playbackID: Int) async throws {
        let now = env.now
        let updated = try await env.writeKeepingCache { db -> Bool in
            guard let p = try await PlaybackSessionModel.find(playbackID, on: db), p.deviceID == ctx.deviceID, p.endedAt == nil else { return false }
            p.lastSeenAt = now
            try await p.save(on: db)
            return true
        }
        env.hot.remove("playing:\(ctx.deviceID)")
        if !updated { throw DomainError.refused("playback_ended", "This playback has ended; ask to play again.", .conflict) }
    }

    public static func stop(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, playbackID: Int) async throws {
        let now = env.now
        env.hot.remove("playing:\(ctx.deviceID)")
        try await env.writeKeepingCache { db in
            try await PlaybackSessionModel.query(on: db).filter(\.$id == playbackID).filter(\.$deviceID == ctx.deviceID).filter(\.$endedAt == nil)
                .set(\.$endedAt, to: now).update()
        }
    }
}
