import Crypto
import Foundation

/// Bearer secrets (business-API `authToken`, REST tokens): random, shown once, stored only as a
/// SHA-256 digest. A digest is enough because the secrets are long random strings; passwords,
/// which people choose, use bcrypt instead (see `PasswordHashing` in Services).
public enum Secrets {
    /// A URL-safe random secret with `bytes` bytes of entropy, prefixed so leaked tokens are
    /// recognisable in logs and secret scanners (`tvms_pat_…`, `tvms_api_…`).
    public static func generate(prefix: String, bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + base64url(Data(raw))
    }

    public static func digest(_ secret: String) -> String {
        Hex.encode(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Constant-time comparison of two digests (hex strings of equal length).
    public static func equalDigests(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// The last characters of a secret, safe to show again ("…a1b2") so an operator can tell two
    /// tokens apart without the secret ever being displayed twice.
    public static func hint(_ secret: String) -> String {
        "…" + String(secret.suffix(4))
    }

    public static func base64url(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Rules for operator passwords. Long enough to resist guessing; no composition rules, which only
/// make people write passwords down (NIST SP 800-63B).
public enum PasswordPolicy {
    public static let minimumLength = 8
    public static let maximumLength = 72 // bcrypt ignores bytes past 72

    public static func problem(with password: String) -> String? {
        if password.count < minimumLength { return "must be at least \(minimumLength) characters" }
        if password.utf8.count > maximumLength { return "must be at most \(maximumLength) bytes" }
        return nil
    }
}

public enum Validation {
    /// A pragmatic e-mail check: one @, something before, a dot in the domain, no spaces.
    public static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !s.contains(where: { $0.isWhitespace }), s.count <= 254 else { return false }
        return true
    }

    public static func normalisedEmail(_ s: String) -> String {
        s.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    public static func isTimeZone(_ id: String) -> Bool {
        TimeZone(identifier: id) != nil && id.contains("/") || id == "UTC"
    }

    /// `cmsService` / `crmService`: the names billing systems send with every API call, so keep
    /// them URL- and config-file-safe: 3–40 of a-z, 0-9, '-', '_', starting with a letter.
    public static func isServiceName(_ s: String) -> Bool {
        guard (3...40).contains(s.count), let first = s.first, first.isASCII, first.isLetter else { return false }
        return s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "_" }
    }
}
