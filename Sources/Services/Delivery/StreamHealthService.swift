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
    /// means the server is there (401/403 from a public base address is normal).
    public static func checkServer(_ env: ServiceEnvironment, http: any OutboundHTTP, transcoder t: TranscoderModel) async -> Outcome {
        let url = t.apiURL.isEmpty ? t.baseURL : t.apiURL
        var headers: [(String, String)] = []
        if !t.apiUser.isEmpty, let secret = try? DeliverySettingsService.apiSecret(env, of: t) {
            headers.append(("Authorization", "Basic " + Data("\(t.apiUser):\(secret)".utf8).base64EncodedString()))
        }
        let started = Date()
        do {
            let r = try await http.fetch(method: "GET", url: url, headers: headers, body: nil, maxBytes: 1 << 20, timeout: timeout)
            let ms = Int(Date().timeIntervalSince(started) * 1000)
            if r.status >= 500 { return Outcome(ok: false, httpStatus: r.status, latencyMS: ms, segmentAgeSeconds: -1, detail: "The server answered \(r.status)") }
            if !t.apiURL.isEmpty && (r.status == 401 || r.status == 403) {
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

    /// One round over one deployment (or all when nil): servers, CDN hostnames, mapped streams.
    @discardableResult
    public static func run(_ env: ServiceEnvironment, http: any OutboundHTTP, deploymentID: UUID? = nil) async throws -> (checked: Int, down: Int) {
        let now = env.now
        var checks: [(UUID, String, Int, Outcome)] = []
        var servers = TranscoderModel.query(on: env.db).filter(\.$enabled == true)
        if let deploymentID { servers = servers.filter(\.$deploymentID == deploymentID) }
        let transcoders = try await servers.all()
        for t in transcoders { checks.append((t.deploymentID, "transcoder", t.id!, await checkServer(env, http: http, transcoder: t))) }
        var cdnQuery = CDNHostnameModel.query(on: env.db).filter(\.$enabled == true)
        if let deploymentID { cdnQuery = cdnQuery.filter(\.$deploymentID == deploymentID) }
        for c in try await cdnQuery.all() {
            let started = Date()
            let outcome: Outcome
            do {
                let r = try await http.fetch(method: "HEAD", url: c.baseURL + "/", headers: [], body: nil, maxBytes: 0, timeout: timeout)
                let ms = Int(Date().timeIntervalSince(started) * 1000)
                outcome = Outcome(ok: r.status < 500, httpStatus: r.status, latencyMS: ms, segmentAgeSeconds: -1, detail: r.status < 500 ? "Reachable" : "The edge answered \(r.status)")
            } catch {
                outcome = Outcome(ok: false, httpStatus: 0, latencyMS: Int(Date().timeIntervalSince(started) * 1000), segmentAgeSeconds: -1, detail: describe(error))
            }
            checks.append((c.deploymentID, "cdn", c.id!, outcome))
        }
        let byID = Dictionary(uniqueKeysWithValues: transcoders.map { ($0.id!, $0) })
        var mapQuery = StreamMappingModel.query(on: env.db)
        if let deploymentID { mapQuery = mapQuery.filter(\.$deploymentID == deploymentID) }
        let mappings = try await mapQuery.all().filter { byID[$0.transcoderID] != nil }
        for chunk in mappings.chunked(200) {
            let channels = Dictionary(uniqueKeysWithValues: try await ChannelModel.query(on: env.db).filter(\.$id ~~ chunk.map(\.channelID)).all().map { ($0.id!, $0) })
            for m in chunk {
                guard let c = channels[m.channelID], let t = byID[m.transcoderID] else { continue }
                let outcome: Outcome
                if let url = liveURL(channel: c, transcoder: t) {
                    outcome = await checkStream(http: http, url: url, now: now)
                } else {
                    outcome = Outcome(ok: false, httpStatus: 0, latencyMS: 0, segmentAgeSeconds: -1, detail: "The channel has no HLS address to check")
                }
                checks.append((m.deploymentID, "channel", m.channelID, outcome))
            }
        }
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
