import Domain
import FluentKit
import Foundation
import Storage

/// FLS Health: a scheduled check of every streaming server, CDN hostname and mapped channel
/// stream. A stream is up when its playlist answers 200, parses as HLS, and its newest segment
/// is fresh (within three target durations, at least 30 s). Results are kept as history and set
/// the status that playback uses for failover (a channel whose stream is down plays its
/// fallback first) and the console shows.
public enum StreamHealthService {
    public static let jobKind = "delivery.health"
    public static let interval: TimeInterval = 60
    public static let historyDays = 7
    static let timeout: TimeInterval = 10

    public struct Outcome: Sendable, Equatable {
        public var ok: Bool
        public var httpStatus: Int
        public var latencyMS: Int
        public var segmentAgeSeconds: Int
        public var detail: String
    }

    /// Checks a server's API (or its base address when it has no API): any answer below 500
    /// means the server is there (401/403 from a public base address is normal; from the API it
    /// means the stored credentials are wrong).
    public static func checkServer(_ env: ServiceEnvironment, http: any OutboundHTTP, transcoder t: TranscoderModel) async -> Outcome {
        let secret = (try? DeliverySettingsService.apiSecret(env, of: t)) ?? ""
        return await checkServer(http: http, url: t.apiURL.isEmpty ? t.baseURL : t.apiURL, user: t.apiUser, secret: secret, hasAPI: !t.apiURL.isEmpty)
    }

    static func checkServer(http: any OutboundHTTP, url: String, user: String, secret: String, hasAPI: Bool) async -> Outcome {
        var headers: [(String, String)] = []
        if !user.isEmpty { headers.append(("Authorization", "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString())) }
        let started = Date()
        do {
            let r = try await http.fetch(method: "GET", url: url, headers: headers, body: nil, maxBytes: 1 << 20, timeout: timeout)
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            if r.status >= 500 { return Outcome(ok: false, httpStatus: r.status, latencyMS: ms, segmentAgeSeconds: -1, detail: "The server answered \(r.status)") }
            if hasAPI && (r.status == 401 || r.status == 403) {
                return Outcome(ok: false, httpStatus: r.status, latencyMS: ms, segmentAgeSeconds: -1, detail: "The API refused the credentials (\(r.status))")
            }
            return Outcome(ok: true, httpStatus: r.status, latencyMS: ms, segmentAgeSeconds: -1, detail: "Reachable")
        } catch {
            return Outcome(ok: false, httpStatus: 0, latencyMS: Int(Date().timeIntervalSince(started) * 1000), segmentAgeSeconds: -1, detail: describe(error))
        }
    }

    /// Checks a live HLS stream: playlist, first variant of a master playlist, segment freshness.
    public static func checkStream(http: any OutboundHTTP, url: String, now: Date) async -> Outcome {
        let started = Date()
        func elapsed() -> Int { Int(Date().timeIntervalSince(started) * 1000) }
        do {
            var address = url
            var r = try await http.fetch(method: "GET", url: address, headers: [], body: nil, maxBytes: 4 << 20, timeout: timeout)
            guard r.status == 200 else { return Outcome(ok: false, httpStatus: r.status, latencyMS: elapsed(), segmentAgeSeconds: -1, detail: "The playlist answered \(r.status)") }
            var playlist = try HLSPlaylist.parse(String(decoding: r.body, as: UTF8.self))
            if playlist.isMaster {
                address = HLSPlaylist.resolve(playlist.variants[0], against: address)
                r = try await http.fetch(method: "GET", url: address, headers: [], body: nil, maxBytes: 4 << 20, timeout: timeout)
                guard r.status == 200 else { return Outcome(ok: false, httpStatus: r.status, latencyMS: elapsed(), segmentAgeSeconds: -1, detail: "The variant playlist answered \(r.status)") }
                playlist = try HLSPlaylist.parse(String(decoding: r.body, as: UTF8.self))
            }
            if playlist.ended { return Outcome(ok: false, httpStatus: 200, latencyMS: elapsed(), segmentAgeSeconds: -1, detail: "The playlist has ended (#EXT-X-ENDLIST): not live") }
            var age = -1
            if let end = playlist.newestSegmentEnd {
                age = max(0, Int(now.timeIntervalSince(end)))
            } else if let last = playlist.segments.last {
                // No program-date-time: the newest segment's Last-Modified tells its age.
                let seg = try await http.fetch(method: "HEAD", url: HLSPlaylist.resolve(last.uri, against: address), headers: [], body: nil, maxBytes: 0, timeout: timeout)
                if let lm = seg.header("Last-Modified"), let d = httpDate(lm) { age = max(0, Int(now.timeIntervalSince(d))) }
            }
            let limit = max(30, Int(3 * max(playlist.targetDuration, 1)))
            if age > limit { return Outcome(ok: false, httpStatus: 200, latencyMS: elapsed(), segmentAgeSeconds: age, detail: "The newest segment is \(age) s old (limit \(limit) s): the stream is stalled") }
            return Outcome(ok: true, httpStatus: 200, latencyMS: elapsed(), segmentAgeSeconds: age,
                           detail: "\(playlist.segments.count) segments" + (age >= 0 ? ", newest \(age) s old" : ", age unknown"))
        } catch let e as HLSPlaylist.Invalid {
            return Outcome(ok: false, httpStatus: 200, latencyMS: elapsed(), segmentAgeSeconds: -1, detail: "The playlist is broken: \(e.description)")
        } catch {
            return Outcome(ok: false, httpStatus: 0, latencyMS: elapsed(), segmentAgeSeconds: -1, detail: describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if error is OutboundTooLarge { return "The answer was too large" }
        let text = "\(error)"
        return "Not reachable: " + String(text.prefix(200))
    }

    static func httpDate(_ s: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return f.date(from: s)
    }

    /// The address the health check fetches for a mapped channel: its HLS URL on its server.
    static func liveURL(channel c: ChannelModel, transcoder t: TranscoderModel) -> String? {
        let stored = c.hlsURL.isEmpty ? c.dashURL : c.hlsURL
        guard !stored.isEmpty, !stored.hasSuffix(".mpd") else { return nil }
        return StreamRouting.resolve(stored, on: StreamHost(id: t.id!, baseURL: t.baseURL))
    }

    /// One check to make: what it is about and how to make it.
    struct Probe: Sendable {
        var deploymentID: UUID
        var kind: String
        var id: Int
        var work: @Sendable () async -> Outcome
    }

    /// Runs probes at most `width` at a time: an unreachable server costs a whole timeout, and
    /// a round must not take that long once per channel. A cancelled round (shutdown) starts no
    /// further probe and records nothing.
    static func runAll(_ probes: [Probe], width: Int = 16) async -> [(Probe, Outcome)] {
        await withTaskGroup(of: (Int, Outcome).self) { group in
            var out = [(Probe, Outcome)?](repeating: nil, count: probes.count)
            var next = 0
            func add() {
                let i = next, p = probes[i]
                next += 1
                group.addTask { (i, await p.work()) }
            }
            while next < min(width, probes.count) { add() }
            while let (i, o) = await group.next() {
                out[i] = (probes[i], o)
                // On shutdown no new probe starts: the ones in flight end within their timeout.
                if next < probes.count && !Task.isCancelled { add() }
            }
            return out.compactMap { $0 }
        }
    }

    static func checkEdge(http: any OutboundHTTP, baseURL: String) async -> Outcome {
        let started = Date()
        do {
            let r = try await http.fetch(method: "HEAD", url: baseURL + "/", headers: [], body: nil, maxBytes: 0, timeout: timeout)
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            return Outcome(ok: r.status < 500, httpStatus: r.status, latencyMS: ms, segmentAgeSeconds: -1, detail: r.status < 500 ? "Reachable" : "The edge answered \(r.status)")
        } catch {
            return Outcome(ok: false, httpStatus: 0, latencyMS: Int(Date().timeIntervalSince(started) * 1000), segmentAgeSeconds: -1, detail: describe(error))
        }
    }

    /// One round over one deployment (or all when nil): servers, CDN hostnames, mapped streams.
    @discardableResult
    public static func run(_ env: ServiceEnvironment, http: any OutboundHTTP, deploymentID: UUID? = nil) async throws -> (checked: Int, down: Int) {
        let now = env.now
        var probes: [Probe] = []
        var servers = TranscoderModel.query(on: env.db).filter(\.$enabled == true)
        if let deploymentID { servers = servers.filter(\.$deploymentID == deploymentID) }
        let transcoders = try await servers.all()
        for t in transcoders {
            // The server's API password is opened here, not inside the concurrent probe.
            let secret = (try? DeliverySettingsService.apiSecret(env, of: t)) ?? ""
            let (url, user) = (t.apiURL.isEmpty ? t.baseURL : t.apiURL, t.apiUser)
            let hasAPI = !t.apiURL.isEmpty
            probes.append(Probe(deploymentID: t.deploymentID, kind: "transcoder", id: t.id!) {
                await checkServer(http: http, url: url, user: user, secret: secret, hasAPI: hasAPI)
            })
        }
        var cdnQuery = CDNHostnameModel.query(on: env.db).filter(\.$enabled == true)
        if let deploymentID { cdnQuery = cdnQuery.filter(\.$deploymentID == deploymentID) }
        for c in try await cdnQuery.all() {
            let base = c.baseURL
            probes.append(Probe(deploymentID: c.deploymentID, kind: "cdn", id: c.id!) { await checkEdge(http: http, baseURL: base) })
        }
        let byID = Dictionary(uniqueKeysWithValues: transcoders.map { ($0.id!, $0) })
        var mapQuery = StreamMappingModel.query(on: env.db)
        if let deploymentID { mapQuery = mapQuery.filter(\.$deploymentID == deploymentID) }
        let mappings = try await mapQuery.all().filter { byID[$0.transcoderID] != nil }
        for chunk in mappings.chunked(500) {
            let channels = Dictionary(uniqueKeysWithValues: try await ChannelModel.query(on: env.db).filter(\.$id ~~ chunk.map(\.channelID)).all().map { ($0.id!, $0) })
            for m in chunk {
                guard let c = channels[m.channelID], let t = byID[m.transcoderID] else { continue }
                let url = liveURL(channel: c, transcoder: t)
                probes.append(Probe(deploymentID: m.deploymentID, kind: "channel", id: m.channelID) {
                    guard let url else { return Outcome(ok: false, httpStatus: 0, latencyMS: 0, segmentAgeSeconds: -1, detail: "The channel has no HLS address to check") }
                    return await checkStream(http: http, url: url, now: now)
                })
            }
        }
        let checks = await runAll(probes).map { ($0.0.deploymentID, $0.0.kind, $0.0.id, $0.1) }
        try Task.checkCancellation()
        let results = checks
        let cutoff = now.addingTimeInterval(-Double(historyDays) * 86_400)
        try await env.write { db in
            for (deployment, kind, id, o) in results {
                let row = StreamCheckModel()
                row.deploymentID = deployment; row.targetKind = kind; row.targetID = id; row.at = now; row.ok = o.ok; row.httpStatus = o.httpStatus
                row.latencyMS = o.latencyMS; row.segmentAgeSeconds = o.segmentAgeSeconds; row.detail = String(o.detail.prefix(500))
                try await row.create(on: db)
                let status = o.ok ? "up" : "down"
                switch kind {
                case "transcoder":
                    try await TranscoderModel.query(on: db).filter(\.$id == id).set(\.$status, to: status).set(\.$statusDetail, to: row.detail).set(\.$checkedAt, to: now).update()
                case "cdn":
                    try await CDNHostnameModel.query(on: db).filter(\.$id == id).set(\.$status, to: status).set(\.$statusDetail, to: row.detail).set(\.$checkedAt, to: now).update()
                default:
                    try await StreamMappingModel.query(on: db).filter(\.$channelID == id).set(\.$status, to: status).set(\.$statusDetail, to: row.detail).set(\.$checkedAt, to: now).update()
                }
            }
            try await StreamCheckModel.query(on: db).filter(\.$at < cutoff).delete()
        }
        return (results.count, results.filter { !$0.3.ok }.count)
    }

    public static func runJob(_ ctx: JobContext, http: any OutboundHTTP) async throws -> String? {
        let r = try await run(ctx.env, http: http)
        return "\(r.checked) checked, \(r.down) down"
    }

    /// The newest checks of one target, newest first (FLS Health history).
    public static func history(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, kind: String, id: Int, limit: Int = 20) async throws -> [StreamCheckModel] {
        try actor.require(.cms, in: deploymentID)
        return try await StreamCheckModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$targetKind == kind).filter(\.$targetID == id)
            .sort(\.$at, .descending).limit(limit).all()
    }
}
