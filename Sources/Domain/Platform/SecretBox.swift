import Crypto
import Foundation

/// Secrets TVMS must use again later and so cannot keep as a digest: streaming-server API
/// passwords, token-signing keys, DRM account keys. They are sealed with AES-256-GCM under the
/// installation's key (`TVMS_SECRETS_KEY`, or a key file made on first start; see
/// docs/OPERATIONS.md) and stored as `v1:<base64 nonce‖ciphertext‖tag>`. A database dump alone
/// does not give them away, and a changed ciphertext is detected rather than decrypted to noise.
public struct SecretBox: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    let key: SymmetricKey?

    public init(key: SymmetricKey) { self.key = key }
    init(unconfigured: Void) { key = nil }

    /// A box without a key: every seal and open fails with a message naming the setting.
    public static let unconfigured = SecretBox(unconfigured: ())

    /// A key from its base64 text (32 bytes).
    public init(base64 text: String) throws {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else {
            throw Failure(description: "TVMS_SECRETS_KEY must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)")
        }
        key = SymmetricKey(data: data)
    }

    public static func generateKeyText() -> String { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() } }

    /// A key for one purpose derived from the installation key (HKDF-SHA256), for MACs that
    /// every node must produce and check alike (stream tickets) without storing another secret.
    public func derivedKey(purpose: String) throws -> SymmetricKey {
        guard let key else { throw Failure(description: "No secrets key is configured (TVMS_SECRETS_KEY)") }
        return HKDF<SHA256>.deriveKey(inputKeyMaterial: key, salt: Data("tvms-derived-key".utf8), info: Data(purpose.utf8), outputByteCount: 32)
    }

    public func seal(_ plaintext: String) throws -> String {
        guard let key else { throw Failure(description: "No secrets key is configured (TVMS_SECRETS_KEY)") }
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key)
        guard let combined = box.combined else { throw Failure(description: "Sealing failed") }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let key else { throw Failure(description: "No secrets key is configured (TVMS_SECRETS_KEY)") }
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw Failure(description: "A stored secret is not in the sealed format")
        }
        do {
            let plain = try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw Failure(description: "A stored secret cannot be opened with this installation's key (was TVMS_SECRETS_KEY changed?)")
        }
    }
}
