import FluentKit
import SQLKit

/// Subscriber access: products name the device platforms they allow (empty = all), and TVs can
/// sign in with an activation code confirmed on another device.
struct M0020_CreateSubscriberAccess: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.sql.alter(table: ProductModel.schema).column("allowed_device_types", type: .text, .notNull, .default("")).run()
        try await db.schema(ActivationCodeModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("code_digest", .string, .required)
            .field("poll_digest", .string, .required)
            .field("device_uid", .string, .required)
            .field("device_type", .string, .required)
            .field("device_model", .string, .required)
            .field("app_version", .string, .required)
            .field("ip", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("customer_id", .int64, .references(CustomerModel.schema, "id", onDelete: .cascade))
            .field("confirmed_at", .datetime)
            .field("consumed_at", .datetime)
            .unique(on: "code_digest")
            .unique(on: "poll_digest")
            .create()
    }

    func revert(on db: Database) async throws {
        try await db.schema(ActivationCodeModel.schema).delete()
        try await db.schema(ProductModel.schema).deleteField("allowed_device_types").update()
    }
}
