import Domain
import Foundation

/// The built-in translation files: `Resources/UIT/base/*.json` (English, every file merged — the
/// apps' shared keys in `apps.json`, keys of one app in their own file) and
/// `Resources/UIT/translations/<code>.json` (ready-made translations an operator can load).
/// `configure` points this at the resource root; the files are read once per process.
public enum UITResources {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var root: URL?
    nonisolated(unsafe) private static var cachedBase: [String: String]?

    /// Where `Resources/` is; set by `configure` before any request.
    public static func use(resourceRoot: URL) {
        lock.withLock {
            if root != resourceRoot { cachedBase = nil }
            root = resourceRoot
        }
    }

    static var directory: URL {
        lock.withLock {
            root ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }.appendingPathComponent("Resources/UIT")
    }

    /// Every built-in English key and its text. A file that is not an object of strings, or two
    /// files that disagree on a key, stop the server: the bundle ships with the binary.
    public static func base() throws -> [String: String] {
        if let b = lock.withLock({ cachedBase }) { return b }
        let dir = directory.appendingPathComponent("base")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        var merged: [String: String] = [:]
        for f in files {
            let data = try Data(contentsOf: dir.appendingPathComponent(f))
            guard let strings = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
                throw DomainError(.invalid, code: "bad_bundle", "Resources/UIT/base/\(f) must be a JSON object of key → text.")
            }
            for (k, v) in strings {
                if let other = merged[k], other != v { throw DomainError(.invalid, code: "bad_bundle", "Resources/UIT/base/\(f) redefines \(k).") }
                merged[k] = v
            }
        }
        lock.withLock { cachedBase = merged }
        return merged
    }

    /// A shipped translation (`Resources/UIT/translations/ar.json`), or nil if there is none.
    public static func shipped(_ language: String) throws -> [String: String]? {
        guard UILanguage.isCode(language) else { return nil }
        let url = directory.appendingPathComponent("translations/\(language).json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: String]
    }
}
