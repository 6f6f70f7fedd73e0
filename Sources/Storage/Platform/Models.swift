import FluentKit
import Foundation

/// A deployment: the manual's CMS/CRM pair. Every business row in later areas references one.
public final class DeploymentModel: Model, @unchecked Sendable {
    public static let schema = "deployments"

    // managed
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data
    @Field(key: "name") public var name: String
    @Field(key: "cms_service") public var cmsService: String
    @Field(key: "crm_service") public var crmService: String
    @Field(key: "time_zone") public var timeZone: String
    @Field(key: "default_currency") public var defaultCurrency: String
    @Field(key: "company_name") public var companyName: String
    @Field(key: "company_address") public var companyAddress: String
    @Field(key: "company_email") public var companyEmail: String
    @Field(key: "company_phone") public var companyPhone: String
    @Field(key: "company_website") public var companyWebsite: String

    // business-API secret: digest only, plus a short hint to recognise it
    @Field(key: "auth_token_hash") public var authTokenHash: String
    @Field(key: "auth_token_hint") public var authTokenHint: String
    @OptionalField(key: "auth_token_rotated_at") public var authTokenRotatedAt: Date?

    public init() {}

    public init(id: UUID? = nil, name: String, cmsService: String, crmService: String, timeZone: String,
                defaultCurrency: String, authTokenHash: String, authTokenHint: String) {
        self.id = id
        self.name = name
        self.cmsService = cmsService
        self.crmService = crmService
        self.timeZone = timeZone
        self.defaultCurrency = defaultCurrency
        self.companyName = name
        self.companyAddress = ""
        self.companyEmail = ""
        self.companyPhone = ""
        self.companyWebsite = ""
        self.authTokenHash = authTokenHash
        self.authTokenHint = authTokenHint
    }
}

/// An account that logs in to the console ("System Users" in the manual's top panel).
public final class SystemUserModel: Model, @unchecked Sendable {
    public static let schema = "system_users"

    // managed
    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data
    @Field(key: "email") public var email: String
    @Field(key: "name") public var name: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "role") public var role: String
    @Field(key: "active") public var active: Bool

    // login protection
    @Field(key: "failed_logins") public var failedLogins: Int
    @OptionalField(key: "locked_until") public var lockedUntil: Date?
    @OptionalField(key: "last_login_at") public var lastLoginAt: Date?
    /// Bumped on password change so sessions made before it stop working.
    @Field(key: "session_epoch") public var sessionEpoch: Int

    @Siblings(through: SystemUserDeploymentModel.self, from: \.$user, to: \.$deployment)
    public var deployments: [DeploymentModel]

    public init() {}

    public init(id: UUID? = nil, email: String, name: String, passwordHash: String, role: String, active: Bool = true) {
        self.id = id
        self.email = email
        self.name = name
        self.passwordHash = passwordHash
        self.role = role
        self.active = active
        self.failedLogins = 0
        self.sessionEpoch = 0
    }
}

/// Which deployments a non-owner account may work in.
public final class SystemUserDeploymentModel: Model, @unchecked Sendable {
    public static let schema = "system_user_deployments"

    @ID(key: .id) public var id: UUID?
    @Parent(key: "user_id") public var user: SystemUserModel
    @Parent(key: "deployment_id") public var deployment: DeploymentModel

    public init() {}
}

/// A named REST bearer token of one account; only its digest is stored.
public final class APITokenModel: Model, @unchecked Sendable {
    public static let schema = "api_tokens"

    @ID(key: .id) public var id: UUID?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?

    @Parent(key: "user_id") public var user: SystemUserModel

    @Field(key: "name") public var name: String
    @Field(key: "token_hash") public var tokenHash: String
    @Field(key: "hint") public var hint: String
    @OptionalField(key: "expires_at") public var expiresAt: Date?
    @OptionalField(key: "revoked_at") public var revokedAt: Date?
    @OptionalField(key: "last_used_at") public var lastUsedAt: Date?

    public init() {}

    public init(userID: UUID, name: String, tokenHash: String, hint: String, expiresAt: Date?) {
        self.$user.id = userID
        self.name = name
        self.tokenHash = tokenHash
        self.hint = hint
        self.expiresAt = expiresAt
    }
}

/// One append-only audit record ("User Logs"). Never updated or deleted by the application.
public final class AuditRecordModel: Model, @unchecked Sendable {
    public static let schema = "audit_log"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "at") public var at: Date

    // who
    @Field(key: "actor_kind") public var actorKind: String
    @OptionalField(key: "actor_id") public var actorID: String?
    @Field(key: "actor_label") public var actorLabel: String
    @OptionalField(key: "ip") public var ip: String?

    // what
    @OptionalField(key: "deployment_id") public var deploymentID: UUID?
    @Field(key: "entity_type") public var entityType: String
    @Field(key: "entity_id") public var entityID: String
    @Field(key: "action") public var action: String
    @OptionalField(key: "before_json") public var beforeJSON: String?
    @OptionalField(key: "after_json") public var afterJSON: String?

    public init() {}
}

/// A background job. Claimed with a conditional UPDATE so two workers never run the same row.
public final class JobModel: Model, @unchecked Sendable {
    public static let schema = "jobs"

    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "created_at") public var createdAt: Date

    @Field(key: "kind") public var kind: String
    @Field(key: "payload") public var payload: String
    @OptionalField(key: "deployment_id") public var deploymentID: UUID?
    @OptionalField(key: "schedule_name") public var scheduleName: String?

    @Field(key: "status") public var status: String
    @Field(key: "attempts") public var attempts: Int
    @Field(key: "max_attempts") public var maxAttempts: Int
    @Field(key: "run_at") public var runAt: Date
    @OptionalField(key: "locked_by") public var lockedBy: String?
    @OptionalField(key: "started_at") public var startedAt: Date?
    @OptionalField(key: "finished_at") public var finishedAt: Date?
    @OptionalField(key: "last_error") public var lastError: String?
    @OptionalField(key: "result") public var result: String?

    public init() {}
}

/// One idempotency key of the business API: claimed (not completed) while the first call runs,
/// then holding that call's answer for replays. Purged after 24 hours by the maintenance job.
public final class APIIdempotencyModel: Model, @unchecked Sendable {
    public static let schema = "api_idempotency"
    @ID(key: .id) public var id: UUID?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "key") public var key: String
    @Field(key: "endpoint") public var endpoint: String
    @Field(key: "completed") public var completed: Bool
    @Field(key: "status") public var status: Int
    @Field(key: "body") public var body: String
    @Field(key: "created_at") public var createdAt: Date
    public init() {}
}
