import Foundation

/// Opaque keyset cursor for REST lists: the sort value and id of the last row seen, base64url
/// JSON. Keyset, not OFFSET, so deep pages cost the same as the first.
public struct PageCursor: Codable, Equatable, Sendable {
    public var sortValue: String
    public var id: String

    public init(sortValue: String, id: String) {
        self.sortValue = sortValue
        self.id = id
    }

    public var encoded: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return Secrets.base64url(data)
    }

    public static func decode(_ text: String) -> PageCursor? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        guard let data = Data(base64Encoded: s) else { return nil }
        return try? JSONDecoder().decode(PageCursor.self, from: data)
    }
}

/// Bounds for page sizes asked for by clients.
public enum PageSize {
    public static let `default` = 50
    public static let maximum = 500

    public static func clamp(_ requested: Int?) -> Int {
        guard let r = requested, r > 0 else { return `default` }
        return min(r, maximum)
    }
}
