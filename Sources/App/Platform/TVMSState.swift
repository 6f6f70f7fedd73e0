import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The composition root's products, kept on the Application: configuration, clock, write gate,
/// hasher, job registry, metrics. Tests override clock and lock-out policy through `configure`.
public struct TVMSState: Sendable {
    public var config: AppConfig
    public var clock: AppClock
    public var gate: WriteGate
    public var hasher: PasswordHashing
    public var subscriberHasher: PasswordHashing
    public var jobs: JobRegistry
    public var lockout: LockoutPolicy
    public var metrics: Metrics
    /// Copies of published catalogue documents (folder, bucket).
    public var publishTargets: [any PublishTarget] = []
    /// Seals stored secrets (streaming-server passwords, token and DRM keys).
    public var secrets: SecretBox = .unconfigured
    /// The playback hot path's short memory, shared by every request of this app.
    public var hot = HotCache()
}

extension Application {
    struct TVMSKey: StorageKey { typealias Value = TVMSState }
    struct RunnerKey: StorageKey { typealias Value = BackgroundWork }

    public var tvms: TVMSState {
        get {
            guard let s = storage[TVMSKey.self] else { fatalError("configure(_:) has not run") }
            return s
        }
        set { storage[TVMSKey.self] = newValue }
    }

    /// A service environment bound to the app's default database (commands, jobs).
    public var serviceEnvironment: ServiceEnvironment {
        ServiceEnvironment(db: db, clock: tvms.clock, gate: tvms.gate, hasher: tvms.hasher, subscriberHasher: tvms.subscriberHasher,
                           logger: logger, lockout: tvms.lockout, secrets: tvms.secrets, hot: tvms.hot)
    }

    var backgroundWork: BackgroundWork? {
        get { storage[RunnerKey.self] }
        set { storage[RunnerKey.self] = newValue }
    }
}

extension Request {
    public var serviceEnvironment: ServiceEnvironment {
        let s = application.tvms
        return ServiceEnvironment(db: db, clock: s.clock, gate: s.gate, hasher: s.hasher, subscriberHasher: s.subscriberHasher,
                           logger: logger, lockout: s.lockout, secrets: s.secrets, hot: s.hot)
    }

    /// The client address as seen by the proxy in front of us, else the socket peer.
    var clientIP: String? {
        if application.tvms.config.trustProxy, let fwd = headers.first(name: "X-Forwarded-For")?.split(separator: ",").first {
            return fwd.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress
    }
}
