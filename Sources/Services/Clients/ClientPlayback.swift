import Domain
import FluentKit
import Foundation
import Storage

/// The Xtream stream paths (`/live/U/P/ID.ext`, `/movie/…`, `/series/…`, `/timeshift/…`) as
/// playback requests: the same authorisation as the subscriber API (`PlaybackService.authorise`:
/// subscription served, IP rules, entitlement, parental PIN, simultaneous streams, signed URLs),
/// on the customer's shared Xtream device, each client address one connection.
public enum ClientPlayback {
    public enum Target: Sendable, Equatable {
        case live(Int)
        case movie(Int)
        case episode(Int)
        /// A channel's archive from `start` (any shape players send) for `minutes`.
        case timeshift(channel: Int, start: String, minutes: String)
    }

    /// Dispatcharr's defaults for a missing or unreadable duration; the archive is cut at 8 h
    /// by playback anyway.
    public static let defaultMinutes = 120
    public static let maxMinutes = 480

    public static func authorise(_ env: ServiceEnvironment, account: ClientAccess.Account, target: Target, ip: String) async throws -> PlaybackService.Grant {
        guard account.status.isServed else {
            switch account.status {
            case .expired: throw DomainError(.forbidden, code: "expired", "The subscription has expired. Renew it to watch again.")
            case .pending: throw DomainError(.forbidden, code: "pending", "The subscription has not started yet.")
            default: throw DomainError(.forbidden, code: "disabled", "The account is disabled. Contact your provider.")
            }
        }
        let deploymentID = account.set.deploymentID
        let request: PlaybackService.Request
        switch target {
        case .live(let id), .timeshift(let id, _, _):
            let channel = try await PlaybackService.cachedChannel(env, ref: .channel(id), deploymentID: deploymentID)
            guard channel.drm == "none" else { throw drmUnsupported }
            if case .timeshift(_, let rawStart, let rawMinutes) = target {
                guard let start = CatchupURLs.parseXtreamStart(rawStart, zone: account.zone) else {
                    throw DomainError.validation(["start": "is not a time this server reads (e.g. 2026-03-29:01-30, 2026-03-29 01:30:00 or Unix seconds)"])
                }
                let minutes = min(max(Int(rawMinutes) ?? defaultMinutes, 1), maxMinutes)
                request = .init(kind: .catchup, item: .channel(id), start: start, stop: start.addingTimeInterval(Double(minutes * 60)))
            } else {
                request = .init(kind: .live, item: .channel(id))
            }
        case .movie(let id), .episode(let id):
            let kind: VoDKind = { if case .movie = target { return .movie } else { return .episode } }()
            let drm: String? = try await env.hot.get("client-vod-drm:\(id)", now: env.now) {
                try await VoDItemModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).filter(\.$kind == kind.rawValue).first()?.drm
            }
            guard let drm else { throw DomainError.notFound("The item") }
            guard drm == "none" else { throw drmUnsupported }
            request = .init(kind: .vod, item: .vod(kind, id))
        }
        let device = try await ClientAccess.device(env, account: account, ip: ip)
        return try await PlaybackService.authorise(env, context: device, request: request, ip: ip)
    }

    static let drmUnsupported = DomainError(.forbidden, code: "drm_unsupported",
                                            "This item is protected with DRM, which Xtream players cannot play. Watch it in the TV app.")
}
