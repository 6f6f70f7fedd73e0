import Foundation

/// The device platforms the apps run on, and the product rules about them (the manual: each
/// product allows or denies each device type; access can be limited to countries).
public enum DeviceTypes {
    /// Platform names as apps report them in `device.type` (a browser reports its own name,
    /// e.g. chrome, and counts as web). Products list the allowed ones; empty allows all.
    public static let platforms = ["android", "androidtv", "firetv", "ios", "tvos", "tizen", "webos", "roku", "mag", "entone", "airties",
                                   "dunehd", "kaios", "web", "xtream"]
    static let browsers = ["chrome", "firefox", "safari", "edge", "opera", "web"]

    /// The platform a reported device type belongs to (`chrome` → `web`), or the type itself.
    public static func platform(of type: String) -> String {
        let t = type.lowercased().trimmingCharacters(in: [" ", "\t"])
        if browsers.contains(where: { t.hasPrefix($0) }) { return "web" }
        return platforms.first { t == $0 } ?? t
    }

    /// Whether a product's allowed list (comma-separated platforms; empty = every platform)
    /// admits a device type.
    public static func allows(_ allowed: String, type: String) -> Bool {
        let list = allowed.split(separator: ",").map { $0.trimmingCharacters(in: [" ", "\t"]).lowercased() }.filter { !$0.isEmpty }
        return list.isEmpty || list.contains(platform(of: type))
    }

    /// Whether a product's countries (comma-separated ISO codes; empty = everywhere) admit the
    /// country a request comes from.
    public static func countryAllowed(_ allowed: String, country: String) -> Bool {
        let list = allowed.split(separator: ",").map { $0.trimmingCharacters(in: [" ", "\t"]).uppercased() }.filter { !$0.isEmpty }
        return list.isEmpty || list.contains(country.uppercased())
    }

}
