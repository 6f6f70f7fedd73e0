import Foundation

/// Kinds of content a package can hold.
public enum ContentKind: String, Sendable, CaseIterable {
    case channel, movie, series, music, app, course

    public var label: String {
        switch self {
        case .channel: "Channels"
        case .movie: "Movies"
        case .series: "Series"
        case .music: "Music"
        case .app: "Apps"
        case .course: "Education"
        }
    }
}

/// The rules of channel data, kept here so forms, imports and the API apply the same ones.
public enum ChannelRules {
    /// How a playback URL is protected; delivery signs URLs accordingly.
    /// `callback` and `nimble_ppv` carry a TVMS ticket that the streaming server checks by calling
    /// TVMS (Flussonic auth backend, nginx auth_request; Nimble pay-per-view) instead of a signature.
    public static let tokenTypes = ["none", "akamai", "flussonic", "wowza", "nimble", "nginx_secure_link", "callback", "nimble_ppv"]
    public static let drms = ["none", "buydrm", "irdeto"]
    /// Age ratings offered in the console (0 = for everyone).
    public static let ageRatings = [0, 6, 9, 12, 14, 16, 18]
    public static let numberRange = 1...99_999

    /// An empty string, or an http(s)/rtmp/udp URL with a host.
    /// An http(s) URL, or a path (`/live/news/index.m3u8`) that playback serves from the
    /// deployment's CDN hostnames and the channel's streaming server.
    public static func isStreamURL(_ s: String) -> Bool {
        if s.isEmpty { return true }
        if s.hasPrefix("/") && !s.hasPrefix("//") && s.count > 1 && !s.contains(where: { $0.isWhitespace }) { return true }
        guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), ["http", "https"].contains(scheme), u.host?.isEmpty == false else { return false }
        return true
    }

    /// HLS is served to Apple and KaiOS devices, so an HLS slot must hold an .m3u8 playlist.
    public static func looksLikeHLS(_ s: String) -> Bool { s.isEmpty || s.lowercased().split(separator: "?").first?.hasSuffix(".m3u8") == true }
    public static func looksLikeDASH(_ s: String) -> Bool { s.isEmpty || s.lowercased().split(separator: "?").first?.hasSuffix(".mpd") == true }

    /// "News, sport ,News" → "news,sport"
    public static func normaliseList(_ s: String) -> String {
        var seen: [String] = []
        for part in s.split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces).lowercased()
            if !t.isEmpty && !seen.contains(t) { seen.append(t) }
        }
        return seen.joined(separator: ",")
    }
}
