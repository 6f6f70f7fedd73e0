import FluentKit
import Foundation

/// A streaming server (CMS › Transcoders): where live streams and archives are served from and
/// whose API the health checks call. API credentials are sealed (`SecretBox`), never shown again.
public final class TranscoderModel: Model, @unchecked Sendable {
    public static let schema = "transcoders"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    /// flussonic, wowza, nimble, nginx, origin (generic HLS/DASH origin).
    @Field(key: "kind") public var kind: String
    /// Where devices fetch streams (`https://edge1.example.net`); relative stream paths resolve here.
    @Field(key: "base_url") public var baseURL: String
    /// The management API (`http://10.0.0.5:8080`); empty = not checked through an API.
    @Field(key: "api_url") public var apiURL: String
    @Field(key: "api_user") public var apiUser: String
    @Field(key: "api_secret_sealed") public var apiSecretSealed: String
    @Field(key: "api_secret_hint") public var apiSecretHint: String
    /// Archive depth of the server (FLS Config) — catch-up days of its channels may not exceed it.
    @Field(key: "dvr_depth_days") public var dvrDepthDays: Int
    /// Catch-up address form of this server (ArchiveServer) and, for the query form, its parameter names.
    @Field(key: "archive_form") public var archiveForm: String
    @Field(key: "archive_start_param") public var archiveStartParam: String
    @Field(key: "archive_end_param") public var archiveEndParam: String
    @Field(key: "enabled") public var enabled: Bool
    /// up, down or unknown (last health check).
    @Field(key: "status") public var status: String
    @Field(key: "status_detail") public var statusDetail: String
    @OptionalField(key: "checked_at") public var checkedAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    // Callback adapters (docs/DELIVERY.md): the server asks TVMS whether a viewer may play.
    /// Whether the server's callback URL answers; off = every call is refused.
    @Field(key: "callback_enabled") public var callbackEnabled: Bool
    /// SHA-256 digest of the secret key in the callback URL (`tvms_cb_…`), shown once.
    @Field(key: "callback_key_digest") public var callbackKeyDigest: String
    @Field(key: "callback_key_hint") public var callbackKeyHint: String
    /// WMSPanel's push-API token (Nimble pay-per-view), sealed: it checks the sync's `Signature`
    /// and makes the answer's `Solution`. Empty = not checked.
    @Field(key: "ppv_token_sealed") public var ppvTokenSealed: String
    @Field(key: "ppv_token_hint") public var ppvTokenHint: String
    public init() {}
}

/// A CDN edge hostname (CMS › Transcoders › CDN Hostnames). Relative stream paths are served
/// from the available hostnames by priority, then weight.
public final class CDNHostnameModel: Model, @unchecked Sendable {
    public static let schema = "cdn_hostnames"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// Scheme and host, e.g. `https://cdn1.example.net`.
    @Field(key: "base_url") public var baseURL: String
    /// akamai, flussonic, generic.
    @Field(key: "cdn_kind") public var cdnKind: String
    @Field(key: "priority") public var priority: Int
    @Field(key: "weight") public var weight: Int
    @Field(key: "enabled") public var enabled: Bool
    @Field(key: "status") public var status: String
    @Field(key: "status_detail") public var statusDetail: String
    @OptionalField(key: "checked_at") public var checkedAt: Date?
    public init() {}
}

/// How stream addresses of one scheme are signed (CMS › Settings › Token Settings), one row per
/// scheme and deployment. The secret is sealed and never shown again (only its hint).
public final class TokenSettingModel: Model, @unchecked Sendable {
    public static let schema = "token_settings"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// The item token type it serves (ContentRules.tokenTypes: akamai, flussonic, wowza, …).
    @Field(key: "token_type") public var tokenType: String
    @Field(key: "secret_sealed") public var secretSealed: String
    @Field(key: "secret_hint") public var secretHint: String
    @Field(key: "lifetime_seconds") public var lifetimeSeconds: Int
    @Field(key: "bind_ip") public var bindIP: Bool
    /// Scheme options as `key=value` lines (parameter names, algorithm, ACL, salt…).
    @Field(key: "options") public var options: String
    @Field(key: "enabled") public var enabled: Bool
    public init() {}
}

/// A DRM vendor account (CMS › Settings › BuyDRM / Irdeto). The key is sealed.
public final class DRMSettingModel: Model, @unchecked Sendable {
    public static let schema = "drm_settings"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// buydrm or irdeto.
    @Field(key: "vendor") public var vendor: String
    @Field(key: "account_id") public var accountID: String
    @Field(key: "key_sealed") public var keySealed: String
    @Field(key: "key_hint") public var keyHint: String
    @Field(key: "widevine_url") public var widevineURL: String
    @Field(key: "playready_url") public var playreadyURL: String
    @Field(key: "fairplay_url") public var fairplayURL: String
    @Field(key: "fairplay_certificate_url") public var fairplayCertificateURL: String
    @Field(key: "lifetime_seconds") public var lifetimeSeconds: Int
    @Field(key: "enabled") public var enabled: Bool
    public init() {}
}

/// Where archives and recordings live (CMS › Transcoders › DVR Storage).
public final class DVRStorageModel: Model, @unchecked Sendable {
    public static let schema = "dvr_storages"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "transcoder_id") public var transcoderID: Int
    @Field(key: "name") public var name: String
    @Field(key: "path") public var path: String
    @Field(key: "capacity_gb") public var capacityGB: Int
    @Field(key: "retention_days") public var retentionDays: Int
    @Field(key: "used_gb") public var usedGB: Int
    public init() {}
}

/// A channel's stream on a streaming server (CMS › Transcoders › FLS Mapping): the key of its
/// live, catch-up and recording addresses, its archive depth and its health.
public final class StreamMappingModel: Model, @unchecked Sendable {
    public static let schema = "stream_mappings"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "channel_id") public var channelID: Int
    @Field(key: "transcoder_id") public var transcoderID: Int
    @Field(key: "stream_name") public var streamName: String
    /// Archive depth of this stream on the server (FLS Config); 0 = the server's.
    @Field(key: "dvr_depth_days") public var dvrDepthDays: Int
    @Field(key: "status") public var status: String
    @Field(key: "status_detail") public var statusDetail: String
    @OptionalField(key: "checked_at") public var checkedAt: Date?
    public init() {}
}

/// One health check of a server, a CDN hostname or a channel's stream (FLS Health history).
public final class StreamCheckModel: Model, @unchecked Sendable {
    public static let schema = "stream_checks"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// transcoder, cdn or channel.
    @Field(key: "target_kind") public var targetKind: String
    @Field(key: "target_id") public var targetID: Int
    @Field(key: "at") public var at: Date
    @Field(key: "ok") public var ok: Bool
    @Field(key: "http_status") public var httpStatus: Int
    @Field(key: "latency_ms") public var latencyMS: Int
    /// Age of the newest segment in seconds (HLS), -1 when unknown.
    @Field(key: "segment_age_seconds") public var segmentAgeSeconds: Int
    @Field(key: "detail") public var detail: String
    public init() {}
}

/// A subscriber's signed-in device: the bearer token the apps send (stored as a digest).
public final class DeviceSessionModel: Model, @unchecked Sendable {
    public static let schema = "device_sessions"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "device_id") public var deviceID: Int
    @Field(key: "token_digest") public var tokenDigest: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "last_seen_at") public var lastSeenAt: Date
    @Field(key: "expires_at") public var expiresAt: Date
    @OptionalField(key: "revoked_at") public var revokedAt: Date?
    public init() {}
}

/// A playback in progress (for the product's limit of simultaneous streams). It counts while
/// its heartbeat is recent; `stop` or a new playback on the same device ends it.
public final class PlaybackSessionModel: Model, @unchecked Sendable {
    public static let schema = "playback_sessions"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "device_id") public var deviceID: Int
    /// ContentRef text ("channel:3", "movie:12") and the kind of playback (live, catchup, recording, vod).
    @Field(key: "item") public var item: String
    @Field(key: "kind") public var kind: String
    @Field(key: "ip") public var ip: String
    @Field(key: "started_at") public var startedAt: Date
    @Field(key: "last_seen_at") public var lastSeenAt: Date
    @OptionalField(key: "ended_at") public var endedAt: Date?
    /// Viewing time the streaming server reported (Nimble pay-per-view), whole seconds; nil
    /// when no server reported any.
    @OptionalField(key: "viewed_seconds") public var viewedSeconds: Int64?
    public init() {}
}

/// A Nimble pay-per-view sync already counted (digest of its body), so a retried POST does not
/// add its viewing time twice. Kept a day.
public final class StreamCallbackSyncModel: Model, @unchecked Sendable {
    public static let schema = "stream_callback_syncs"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "transcoder_id") public var transcoderID: Int
    @Field(key: "sync_digest") public var syncDigest: String
    @Field(key: "received_at") public var receivedAt: Date
    public init() {}
}

/// A cloud-PVR recording of a customer: a programme or a time range of a channel.
public final class RecordingModel: Model, @unchecked Sendable {
    public static let schema = "recordings"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "channel_id") public var channelID: Int
    @Field(key: "title") public var title: String
    @Field(key: "start") public var start: Date
    @Field(key: "stop") public var stop: Date
    /// scheduled, recording, done, failed.
    @Field(key: "state") public var state: String
    @Field(key: "failure") public var failure: String
    @Field(key: "created_at") public var createdAt: Date
    @OptionalField(key: "deleted_at") public var deletedAt: Date?
    public init() {}
}
