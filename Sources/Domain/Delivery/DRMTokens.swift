import Crypto
import Foundation

/// What a device needs to get a licence for protected content: the DRM system its player
/// speaks, where the licence server is, and a short-lived signed authorisation the licence
/// server checks before it issues keys.
public struct DRMGrant: Sendable, Equatable, Codable {
    /// widevine, playready or fairplay.
    public var system: String
    public var licenseURL: String
    /// FairPlay only: where the player fetches the application certificate.
    public var certificateURL: String
    /// The header the licence request carries and its value.
    public var headerName: String
    public var token: String
    public var expiresAt: Date

    public init(system: String, licenseURL: String, certificateURL: String, headerName: String, token: String, expiresAt: Date) {
        self.system = system; self.licenseURL = licenseURL; self.certificateURL = certificateURL
        self.headerName = headerName; self.token = token; self.expiresAt = expiresAt
    }
}

/// Licence authorisations as compact JWS (RFC 7515) tokens signed with HMAC-SHA256 under the
/// vendor account's key — the form BuyDRM's KeyOS ("x-keyos-authorization") and Irdeto's
/// entitlement tokens take. The claims are ours and documented in docs/DELIVERY.md: `iss`
/// account, `sub` customer, `aud` vendor, `iat`/`exp`, `jti` a unique id, and `ent` the content
/// (`id` as "movie:12", `system`). A licence proxy or the vendor's token check verifies them.
public enum DRMTokens {
    public static func system(for family: DeviceFamily, deviceType: String) -> String {
        if family == .apple { return "fairplay" }
        let t = deviceType.lowercased()
        return ["windows", "xbox", "edge", "tizen-playready"].contains(where: { t.hasPrefix($0) }) ? "playready" : "widevine"
    }

    public static func headerName(vendor: String) -> String { vendor == "irdeto" ? "Authorization" : "x-keyos-authorization" }

    /// A signed token; `key` is the account key as stored (its UTF-8 bytes are the HMAC key).
    public static func jwt(vendor: String, accountID: String, key: String, customer: String, content: String, system: String,
                           issuedAt: Date, lifetime: Int, tokenID: String) -> String {
        let header = #"{"alg":"HS256","typ":"JWT"}"#
        let iat = Int(issuedAt.timeIntervalSince1970)
        // Keys in a fixed order so the same inputs give the same token (test vectors).
        let payload = "{\"iss\":\(json(accountID)),\"sub\":\(json(customer)),\"aud\":\(json(vendor)),\"iat\":\(iat),\"exp\":\(iat + lifetime),"
            + "\"jti\":\(json(tokenID)),\"ent\":{\"id\":\(json(content)),\"system\":\(json(system))}}"
        let signingInput = base64url(Data(header.utf8)) + "." + base64url(Data(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(key.utf8)))
        let token = signingInput + "." + base64url(Data(mac))
        return vendor == "irdeto" ? "Bearer " + token : token
    }

    static func json(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }

    static func base64url(_ d: Data) -> String {
        d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
