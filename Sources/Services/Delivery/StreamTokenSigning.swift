import Domain
import Foundation

/// The bridge between a deployment's stored token settings (one per item token type, options as
/// `key=value` lines) and the pure `StreamSigner`.
public enum StreamTokenSigning {
    /// The item token types TVMS signs, and the scheme each one uses (`callback` and
    /// `nimble_ppv` are handled by StreamCallbackService).
    public static let schemes: [String: StreamTokenScheme] = [
        "nginx_secure_link": .nginx, "flussonic": .flussonic, "wowza": .wowza, "nimble": .nimble, "akamai": .akamai,
    ]

    public struct Signed: Sendable { public var url: String; public var expiresAt: Date }

    /// The signer's setting; the option `param` names the query parameter, every other key is
    /// the scheme's own (refused when it belongs to another scheme).
    public static func setting(tokenType: String, secret: String, lifetime: Int, bindIP: Bool, options: String) throws -> StreamTokenSetting {
        guard let scheme = schemes[tokenType] else {
            throw DomainError.validation(["tokenType": "\(tokenType) tokens cannot be signed yet; use one of \(schemes.keys.sorted().joined(separator: ", "))"])
        }
        var pairs: [String] = []
        var parameter: String? = nil
        for (key, value) in DeliverySettingsService.parseOptions(options).sorted(by: { $0.key < $1.key }) {
            if key == "param" { parameter = value } else { pairs.append("\(key)=\(value)") }
        }
        let s = StreamTokenSetting(scheme: scheme, secret: secret, lifetimeSeconds: lifetime, bindClientIP: bindIP, parameterName: parameter,
                                   options: try StreamTokenOptions(scheme: scheme, pairs: pairs))
        try s.validate()
        return s
    }

    public static func sign(_ url: String, setting: StreamTokenSetting, clientIP: String, now: Date, userID: String) throws -> Signed {
        Signed(url: try StreamSigner.sign(url: url, setting: setting, clientIP: clientIP, now: now, userID: userID),
               expiresAt: now.addingTimeInterval(Double(setting.lifetimeSeconds)))
    }
}
