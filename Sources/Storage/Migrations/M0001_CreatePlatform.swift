import FluentKit
import SQLKit

// Numbered, append-only migrations named by intent. Never edit one that has shipped: add another.
// Enums are text; instants are Fluent `.datetime` (timestamptz on PostgreSQL, REAL on SQLite) and
// are always computed in Swift from the injected clock, never with SQL date functions.

struct M0001_CreateDeployment: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(DeploymentModel.schema)
            .id()
            .field("name", .string, .required)
            .field("cms_service", .string, .required)
            .field("crm_service", .string, .required)
            .field("time_zone", .string, .required)
            .field("default_currency", .string, .required)
            .field("company_name", .string, .required)
            .field("company_address", .string, .required)
            .field("company_email", .string, .required)
            .field("company_phone", .string, .required)
            .field("company_website", .string, .required)
            .field("auth_token_hash", .string, .required)
            .field("auth_token_hint", .string, .required)
            .field("auth_token_rotated_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "cms_service")
            .unique(on: "crm_service")
            .unique(on: "auth_token_hash")
            .create()
    }
    func revert(on db: Database) async throws { try await db.schema(DeploymentModel.schema).delete() }
}

struct M0002_CreateSystemUser: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(SystemUserModel.schema)
            .id()
            .field("email", .string, .required)
            .field("name", .string, .required)
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("active", .bool, .required)
            .field("failed_logins", .int, .required)
            .field("locked_until", .datetime)
            .field("last_login_at", .datetime)
            .field("session_epoch", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email")
            .create()
        try await db.schema(SystemUserDeploymentModel.schema)
            .id()
            .field("user_id", .uuid, .required, .references(SystemUserModel.schema, "id", onDelete: .cascade))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .unique(on: "user_id", "deployment_id")
            .create()
    }
    func revert(on db: Database) async throws {
        try await db.schema(SystemUserDeploymentModel.schema).delete()
        try await db.schema(SystemUserModel.schema).delete()
    }
}

struct M0003_CreateAPIToken: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(APITokenModel.schema)
            .id()
            .field("user_id", .uuid, .required, .references(SystemUserModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("token_hash", .string, .required)
            .field("hint", .string, .required)
            .field("expires_at", .datetime)
            .field("revoked_at", .datetime)
            .field("last_used_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }
    func revert(on db: Database) async throws { try await db.schema(APITokenModel.schema).delete() }
}

struct M0004_CreateAuditLog: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(AuditRecordModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("at", .datetime, .required)
            .field("actor_kind", .string, .required)
            .field("actor_id", .string)
            .field("actor_label", .string, .required)
            .field("ip", .string)
            .field("deployment_id", .uuid)
            .field("entity_type", .string, .required)
            .field("entity_id", .string, .required)
            .field("action", .string, .required)
            .field("before_json", .string)
            .field("after_json", .string)
            .create()
        let sql = db as! SQLDatabase
        try await sql.create(index: "audit_log_deployment_idx").on(AuditRecordModel.schema).column("deployment_id").column("id").run()
        try await sql.create(index: "audit_log_entity_idx").on(AuditRecordModel.schema).column("entity_type").column("entity_id").run()
        try await sql.create(index: "audit_log_actor_idx").on(AuditRecordModel.schema).column("actor_id").column("id").run()
        try await sql.create(index: "audit_log_at_idx").on(AuditRecordModel.schema).column("at").run()
    }
    func revert(on db: Database) async throws { try await db.schema(AuditRecordModel.schema).delete() }
}

struct M0005_CreateJobs: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(JobModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("created_at", .datetime, .required)
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("deployment_id", .uuid)
            .field("schedule_name", .string)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("max_attempts", .int, .required)
            .field("run_at", .datetime, .required)
            .field("locked_by", .string)
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .field("last_error", .string)
            .field("result", .string)
            .create()
        let sql = db as! SQLDatabase
        try await sql.create(index: "jobs_claim_idx").on(JobModel.schema).column("status").column("run_at").run()
        try await sql.create(index: "jobs_kind_idx").on(JobModel.schema).column("kind").column("id").run()
        // One row per (schedule, slot): whichever node inserts it enqueues that period's run.
        try await db.schema("schedule_slots")
            .field("name", .string, .required)
            .field("slot_epoch", .int64, .required)
            .field("node", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "name", "slot_epoch")
            .create()
        // Fixed-window counters shared by every node (login throttling per client address).
        try await db.schema("rate_limits")
            .field("key", .string, .required)
            .field("window_epoch", .int64, .required)
            .field("count", .int, .required)
            .unique(on: "key", "window_epoch")
            .create()
    }
    func revert(on db: Database) async throws {
        try await db.schema("rate_limits").delete()
        try await db.schema("schedule_slots").delete()
        try await db.schema(JobModel.schema).delete()
    }
}

public enum StorageMigrations {
    /// Every migration in the order it shipped. Append only.
    public static let all: [any Migration] = [
        M0001_CreateDeployment(),
        M0002_CreateSystemUser(),
        M0003_CreateAPIToken(),
        M0004_CreateAuditLog(),
        M0005_CreateJobs(),
        M0006_CreateCurrenciesAndProducts(),
        M0007_CreateCustomers(),
        M0008_CreateResellersAndLedger(),
        M0009_CreateResellerExtrasAndStock(),
        M0010_CreateAPIIdempotency(),
        M0011_CreateWebshops(),
        M0012_CreateAPIProvisions(),
        M0013_CreateChannels(),
        M0014_CreatePublications(),
        M0015_CreateVoD(),
        M0016_CreateEPG(),
        M0017_AddEPGSourcePriority(),
        M0018_CreateDelivery(),
        M0019_AddStreamCallbacks(),
        M0020_CreateSubscriberAccess(),
        M0021_CreateSubscriberPersonal(),
        M0022_CreateUIToolkit(),
    ]
}
