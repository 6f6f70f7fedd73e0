import Crypto
import Foundation

// The pure parts of the "call back instead of sign" adapters (Flussonic auth backend, Nimble
// pay-per-view, nginx auth_request): the ticket TVMS puts into a playback address, how a
// requested stream is matched to an item's addresses, and the Nimble pay-per-view formats.
// docs/DELIVERY.md, "Callback adapters".

/// What TVMS puts into a playback address when the streaming server asks TVMS instead of
/// checking a signature itself: `?token=<ticket>` (Flussonic, nginx) or Nimble's WMSAuth `id`.
///
/// Text: `t1.<deviceID>.<itemKind>.<itemID>.<kind>.<expires>.<b|u>.<mac>` — the device that asked
/// to play, the item and kind of playback (so the callback finds the playback row of that device),
/// the Unix time until which it may open a session, whether it is bound to the viewer's IP, and
/// 16 bytes of HMAC-SHA256 (base64url) over all of it, the deployment and (when bound) the IP,
/// under a key derived from the installation key. Nothing is stored per ticket: minting is free
/// on the hot path, and every node checks it alike. Only URL-safe characters, no escaping.
public struct StreamTicket: Equatable, Sendable {
    public var deviceID: Int
    /// ContentRef text: `channel:3`, `movie:12`.
    public var item: String
    /// live, catchup, recording or vod.
    public var kind: String
    public var expires: Int64
    public var boundToIP: Bool

    public init(deviceID: Int, item: String, kind: String, expires: Int64, boundToIP: Bool) {
        self.deviceID = deviceID; self.item = item; self.kind = kind; self.expires = expires; self.boundToIP = boundToIP
    }

    public static let version = "t1"

    public enum Problem: String, Error, Sendable {
        /// Not a ticket of this form at all.
        case malformed
        /// Well-formed, but not made by this installation for this deployment (and IP).
        case badSignature
    }

    /// The ticket's text for `deploymentID`, bound to `ip` when `boundToIP`.
    public func encoded(deploymentID: UUID, ip: String, key: SymmetricKey) -> String {
        let body = body
        return body + "." + Self.mac(body, deploymentID: deploymentID, ip: boundToIP ? ip : "", key: key)
    }

    var body: String {
        let parts = item.split(separator: ":", maxSplits: 1)
        return [Self.version, String(deviceID), String(parts.first ?? ""), String(parts.count > 1 ? parts[1] : ""), kind, String(expires), boundToIP ? "b" : "u"]
            .joined(separator: ".")
    }

    /// Reads and checks a ticket. `ip` is the viewer's address as the streaming server saw it;
    /// it only matters for a ticket bound to the IP (then another address fails the check).
    public static func decode(_ text: String, deploymentID: UUID, ip: String, key: SymmetricKey) -> Result<StreamTicket, Problem> {
        guard text.utf8.count <= 200 else { return .failure(.malformed) }
        let f = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 8, f[0] == version, let device = Int(f[1]), device > 0, ContentRef("\(f[2]):\(f[3])") != nil,
              !f[4].isEmpty, f[4].allSatisfy({ $0.isASCII && $0.isLetter }), let expires = Int64(f[5]), f[6] == "b" || f[6] == "u" else {
            return .failure(.malformed)
        }
        let ticket = StreamTicket(deviceID: device, item: "\(f[2]):\(f[3])", kind: f[4], expires: expires, boundToIP: f[6] == "b")
        let expected = mac(ticket.body, deploymentID: deploymentID, ip: ticket.boundToIP ? ip : "", key: key)
        guard Secrets.equalDigests(expected, f[7]) else { return .failure(.badSignature) }
        return .success(ticket)
    }

    /// `url` with the ticket as the query parameter `name` (`?` or `&` as needed, a fragment
    /// stays last, an earlier value of the parameter is replaced, so asking again is safe).
    public static func adding(_ ticket: String, as name: String, to url: String) throws -> String {
        guard StreamSigner.isQueryName(name) else { throw DomainError.validation(["parameterName": "must be letters, digits, '_', '-' or '.'"]) }
        var parts = try StreamSigner.URLParts(url)
        parts.query.removeAll { $0.0 == name }
        parts.query.append((name, ticket))
        return parts.joined
    }

    static func mac(_ body: String, deploymentID: UUID, ip: String, key: SymmetricKey) -> String {
        let message = Data("\(body)|\(deploymentID.uuidString.lowercased())|\(ip)".utf8)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: key)
        return Secrets.base64url(Data(code).prefix(16))
    }
}

/// How a stream a server asks about (a Flussonic `name`, an nginx request URI, a Nimble
/// `app/stream`) is matched to an item's stored addresses, and which archive instant it asks for.
public enum StreamPaths {
    /// The key of a stored address: its path without the leading `/` and, when the last
    /// component is a playlist or manifest, without that (`/live/news/index.m3u8` → `live/news`,
    /// `https://vod.example/film/manifest.mpd` → `film`, `/vod/film.mp4` → `vod/film.mp4`).
    /// nil for an empty address.
    public static func key(ofAddress address: String) -> String? {
        var text = address.trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return nil }
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<cut]) }
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            text = rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? ""
        }
        var parts = (text.removingPercentEncoding ?? text).split(separator: "/").map(String.init)
        if parts.count > 1, let last = parts.last, isManifest(last) { parts.removeLast() }
        let key = parts.joined(separator: "/")
        return key.isEmpty ? nil : key
    }

    static func isManifest(_ component: String) -> Bool {
        let c = component.lowercased()
        return c.hasSuffix(".m3u8") || c.hasSuffix(".mpd") || c.hasSuffix(".f4m") || ["mpegts", "manifest", "embed.html"].contains(c)
    }

    /// A requested path or name as compared: no query, decoded, no leading or trailing `/`.
    public static func normalised(_ requested: String) -> String {
        var text = requested
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<cut]) }
        text = text.removingPercentEncoding ?? text
        return text.split(separator: "/").joined(separator: "/")
    }

    /// Whether the requested stream is `key` itself or something under it (a playlist, a
    /// segment, a DVR form such as `news/index-1790000000-3600.m3u8`).
    public static func matches(_ requested: String, key: String) -> Bool {
        let r = normalised(requested)
        guard !key.isEmpty, !r.split(separator: "/").contains("..") else { return false }
        return r == key || r.hasPrefix(key + "/")
    }

    /// The earliest instant (Unix seconds) an archive request asks for, or nil for a live one.
    /// Reads Flussonic's and Nimble's archive forms in the last path component
    /// (`index-FROM-DUR.m3u8`, `archive-FROM-DUR.ts|mp4|m3u8`, `playlist_dvr_range-FROM-DUR.m3u8`,
    /// `timeshift_abs-FROM.ts|m3u8`, `timeshift_rel-SECONDS.m3u8`) and Flussonic's `media_request`
    /// values (`dvr_session-hls_mbr_playlist-FROM-DUR`, `dvr_handler-timeshift_rel-3600`, …).
    public static func archiveStart(path: String, mediaRequest: String? = nil, now: Int64) -> Int64? {
        var candidates: [String] = []
        if let last = normalised(path).split(separator: "/").last { candidates.append(String(last)) }
        if let m = mediaRequest?.trimmingCharacters(in: .whitespaces), !m.isEmpty { candidates.append(m) }
        var earliest: Int64? = nil
        for c in candidates {
            if let from = start(in: c, now: now) { earliest = min(earliest ?? from, from) }
        }
        return earliest
    }

    /// Plain splitting rather than regular expressions: nginx asks about every segment.
    static func start(in text: String, now: Int64) -> Int64? {
        guard text.contains("-") else { return nil }
        var body = Substring(text.lowercased())
        if let dot = body.lastIndex(of: "."), !body[body.index(after: dot)...].contains("-") { body = body[..<dot] }
        let parts = body.split(separator: "-", omittingEmptySubsequences: false)
        func instant(_ s: Substring) -> Int64? { (9...11).contains(s.count) && s.allSatisfy(\.isASCII) ? Int64(s) : nil }
        for i in 0..<(parts.count - 1) {
            if parts[i].hasSuffix("timeshift_rel"), parts[i + 1].count <= 9, let seconds = Int64(parts[i + 1]) { return now - seconds }
            if parts[i].hasSuffix("timeshift_abs"), let from = instant(parts[i + 1]) { return from }
        }
        // …-FROM-DURATION or …-FROM-now at the end (archive-, index-, video-, playlist_dvr_range-, dvr_session-…).
        if parts.count >= 3, let from = instant(parts[parts.count - 2]), parts[parts.count - 1] == "now" || Int64(parts[parts.count - 1]) != nil {
            return from
        }
        return nil
    }
}

/// Nimble Streamer's (and WMSPanel's) pay-per-view framework: the media server POSTs its viewers
/// every sync period; the handler answers with the ids to disconnect. Formats from Softvelum's
/// published samples (`ppv_sync.json`, `ppv_sync_response.json`, `ppv_sync.xsd`).
public enum NimblePPV {
    /// One sync: `ID` and `Puzzle` (with `Signature` = base64(MD5(ID + Puzzle + token)) when a
    /// push-API token is set in WMSPanel), then VHost › Application › Instance › Stream › Player.
    public struct Sync: Decodable, Sendable {
        public var ID: String?
        public var Signature: String?
        public var Puzzle: String?
        public var PayPerViewInfo: Info?
    }
    public struct Info: Decodable, Sendable { public var VHost: [VHost]? }
    public struct VHost: Decodable, Sendable { public var name: String?; public var Application: [Application]? }
    public struct Application: Decodable, Sendable { public var name: String?; public var Instance: [Instance]? }
    public struct Instance: Decodable, Sendable { public var name: String?; public var Stream: [Stream]? }
    public struct Stream: Decodable, Sendable { public var name: String?; public var Player: [Player]? }
    public struct Player: Decodable, Sendable {
        /// The `id` of the viewer's WMSAuth signature (TVMS: the playback ticket).
        public var id: String
        public var ip: String?
        public var sessionid: String?
        /// Viewing time since the previous sync, in milliseconds (30031 for a 30 s period in
        /// Softvelum's sample).
        public var delta: Int64?

        enum CodingKeys: String, CodingKey { case id, ip, sessionid, delta }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // Ids and numbers arrive as strings or numbers depending on the sender's JSON encoder.
            func text(_ key: CodingKeys) -> String? {
                if let s = try? c.decode(String.self, forKey: key) { return s }
                if let n = try? c.decode(Int64.self, forKey: key) { return String(n) }
                return nil
            }
            guard let id = text(.id) else {
                throw DecodingError.keyNotFound(CodingKeys.id, .init(codingPath: c.codingPath, debugDescription: "a Player without an id"))
            }
            self.id = id
            ip = text(.ip)
            sessionid = text(.sessionid)
            delta = (try? c.decode(Int64.self, forKey: .delta)) ?? text(.delta).flatMap { Int64($0) }
        }
    }

    /// One viewer of one stream, as the handler needs it.
    public struct Viewer: Equatable, Sendable {
        public var id: String
        public var ip: String
        public var sessionID: String
        /// `application/stream`, e.g. `live/news`.
        public var stream: String
        public var deltaMilliseconds: Int64
    }

    public static func viewers(_ sync: Sync) -> [Viewer] {
        var out: [Viewer] = []
        for vhost in sync.PayPerViewInfo?.VHost ?? [] {
            for app in vhost.Application ?? [] {
                for instance in app.Instance ?? [] {
                    for stream in instance.Stream ?? [] {
                        let name = [app.name ?? "", stream.name ?? ""].filter { !$0.isEmpty }.joined(separator: "/")
                        for p in stream.Player ?? [] {
                            out.append(Viewer(id: p.id, ip: p.ip ?? "", sessionID: p.sessionid ?? "", stream: name, deltaMilliseconds: max(0, p.delta ?? 0)))
                        }
                    }
                }
            }
        }
        return out
    }

    /// base64(MD5(ID + Puzzle + token)): what WMSPanel sends as `Signature`.
    public static func signature(id: String, puzzle: String, token: String) -> String {
        Data(Insecure.MD5.hash(data: Data((id + puzzle + token).utf8))).base64EncodedString()
    }

    /// base64(MD5(Puzzle + token)): the handler's `Solution`, WMSPanel's check of the handler.
    public static func solution(puzzle: String, token: String) -> String {
        Data(Insecure.MD5.hash(data: Data((puzzle + token).utf8))).base64EncodedString()
    }

    /// The handler's answer: `{"DenyList":{"ID":[…]}}` with the ids as strings, plus `Solution`
    /// when a token is set.
    public struct Answer: Encodable, Equatable, Sendable {
        public struct IDs: Encodable, Equatable, Sendable { public var ID: [String] }
        public var DenyList: IDs
        public var Solution: String?
        public init(deny: [String], solution: String?) { DenyList = IDs(ID: deny); Solution = solution }
    }
}
