import FluentKit
import SQLKit

/// API Provisions (the operator's billing endpoint TVMS calls to charge a pay-per-view purchase),
/// every call made, and the purchases they opened.
struct M0012_CreateAPIProvisions: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(APIProvisionModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("content_type", .string, .required)
            .field("url", .string, .required)
            .field("method", .string, .required)
            .field("key_mapping", .string, .required)
            .field("extra_params", .string, .required)
            .field("success_rule", .string, .required)
            .field("failure_rule", .string, .required)
            .field("timeout_ms", .int, .required)
            .field("max_attempts", .int, .required)
            .field("enabled", .bool, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(ProvisionCallModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("provision_id", .int64, .required, .references(APIProvisionModel.schema, "id", onDelete: .cascade))
            .field("customer_id", .int64, .references(CustomerModel.schema, "id", onDelete: .setNull))
            .field("reference", .string, .required)
            .field("content_ref", .string, .required)
            .field("outcome", .string, .required)
            .field("attempts", .int, .required)
            .field("http_status", .int)
            .field("response_excerpt", .string, .required)
            .field("duration_ms", .int, .required)
            .field("started_at", .datetime, .required)
            .create()
        try await db.sql.create(index: "provision_calls_provision_idx").on(ProvisionCallModel.schema).column("provision_id").column("id").run()
        try await db.schema(PPVPurchaseModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("customer_id", .int64, .required, .references(CustomerModel.schema, "id", onDelete: .cascade))
            .field("content_type", .string, .required)
            .field("content_ref", .string, .required)
            .field("title", .string, .required)
            .field("price", .int64, .required)
            .field("currency", .string, .required)
            .field("call_id", .int64, .references(ProvisionCallModel.schema, "id", onDelete: .setNull))
            .field("purchased_at", .datetime, .required)
            .field("access_until", .datetime, .required)
            .create()
        try await db.sql.create(index: "ppv_purchases_customer_idx").on(PPVPurchaseModel.schema).column("customer_id").column("content_ref").run()
    }

    func revert(on db: Database) async throws {
        for s in [PPVPurchaseModel.schema, ProvisionCallModel.schema, APIProvisionModel.schema] { try await db.schema(s).delete() }
    }
}
