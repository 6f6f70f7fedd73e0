import FluentKit
import SQLKit

/// Answers of provisioning calls kept for 24 hours by idempotency key, so a retried call returns
/// the first answer instead of acting twice.
struct M0010_CreateAPIIdempotency: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(APIIdempotencyModel.schema)
            .id()
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("key", .string, .required)
            .field("endpoint", .string, .required)
            .field("completed", .bool, .required)
            .field("status", .int, .required)
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "deployment_id", "key")
            .create()
        try await db.sql.create(index: "api_idempotency_created_idx").on(APIIdempotencyModel.schema).column("created_at").run()
    }

    func revert(on db: Database) async throws {
        try await db.schema(APIIdempotencyModel.schema).delete()
    }
}
