import Foundation

/// Which stream format a device plays. iOS, tvOS, KaiOS and Safari play HLS only; every other
/// platform gets DASH when the item has a DASH URL (the manual's rule), HLS otherwise. Xtream
/// players ask for `.ts`/`.m3u8` and are given HLS like the HLS-only family.
public enum DeviceFamily: String, Sendable {
    case apple, other

    public init(deviceType: String) {
        let t = deviceType.lowercased()
        self = ["ios", "ipad", "iphone", "tvos", "appletv", "apple", "kaios", "safari", "macos", "xtream"].contains(where: { t.hasPrefix($0) }) ? .apple : .other
    }
}

/// A place a stream can be served from: a CDN hostname or a streaming server (origin).
public struct StreamHost: Sendable, Equatable {
    public var id: Int
    /// Scheme and host (and optional path prefix), e.g. `https://cdn1.example.net`.
    public var baseURL: String
    /// Lower is preferred; hosts of the same priority share viewers by `weight`.
    public var priority: Int
    public var weight: Int
    /// False when the last health check failed or the operator took it out of service.
    public var available: Bool
    public init(id: Int, baseURL: String, priority: Int = 0, weight: Int = 1, available: Bool = true) {
        self.id = id; self.baseURL = baseURL; self.priority = priority; self.weight = weight; self.available = available
    }
}

/// Turns the URLs stored on an item into the addresses a device should try, in order.
/// A stored URL is either absolute (played as it is) or a path starting with "/" (served from
/// the deployment's CDN hostnames, falling back to the item's streaming server), so an operator
/// can switch CDN without editing every item.
public enum StreamRouting {
    /// The stored URLs in the order this device family should try them: the family's format
    /// first (HLS for Apple, DASH for the rest when there is one), then the fallback URL. A
    /// primary marked down moves behind the fallback (failover), it is not dropped: an
    /// out-of-date health mark must not take a channel off the air.
    public static func candidates(hls: String, dash: String, fallback: String, family: DeviceFamily, primaryDown: Bool = false) -> [String] {
        let h = hls.trimmingBlanksFast, d = dash.trimmingBlanksFast, f = fallback.trimmingBlanksFast
        let primary = family == .apple ? h : (d.isEmpty ? h : d)
        var out = [primary, f].filter { !$0.isEmpty }
        if primaryDown, out.count == 2 { out.reverse() }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// Hosts in the order to use them for one viewer: available ones first, by priority; among
    /// equal priorities a weighted choice that is stable for `key` (a session id), so a viewer
    /// stays on one edge while viewers spread by weight; unavailable hosts last.
    public static func order(_ hosts: [StreamHost], key: String) -> [StreamHost] {
        let groups = Dictionary(grouping: hosts) { $0.available }
        func arrange(_ list: [StreamHost]) -> [StreamHost] {
            let byPriority = Dictionary(grouping: list, by: \.priority).sorted { $0.key < $1.key }
            return byPriority.flatMap { _, same -> [StreamHost] in
                let sorted = same.sorted { $0.id < $1.id }
                let total = sorted.reduce(0) { $0 + max($1.weight, 0) }
                guard total > 0 else { return sorted }
                var point = Int(stableHash(key) % UInt64(total))
                var firstIndex = 0
                for (i, h) in sorted.enumerated() {
                    if point < max(h.weight, 0) { firstIndex = i; break }
                    point -= max(h.weight, 0)
                }
                return [sorted[firstIndex]] + sorted.enumerated().filter { $0.offset != firstIndex }.map(\.element)
            }
        }
        return arrange(groups[true] ?? []) + arrange(groups[false] ?? [])
    }

    /// A stored URL made absolute on `host` (an absolute URL is returned as it is).
    public static func resolve(_ stored: String, on host: StreamHost?) -> String {
        guard stored.hasPrefix("/"), let host else { return stored }
        var base = host.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + stored
    }

    /// FNV-1a: a hash that is the same in every process (Swift's `Hasher` is seeded per run).
    public static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }
}
