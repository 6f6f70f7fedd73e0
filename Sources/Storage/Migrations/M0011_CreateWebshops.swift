import FluentKit
import SQLKit

/// Webshops that send paid orders by webhook, what their products mean in TVMS, the orders
/// already acted on (one row per shop order: the per-order idempotency), and a log of every
/// delivery with its outcome.
struct M0011_CreateWebshops: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(WebshopModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("platform", .string, .required)
            .field("secret", .string, .required)
            .field("secret_hint", .string, .required)
            .field("reseller_id", .int64, .references(ResellerModel.schema, "id", onDelete: .setNull))
            .field("enabled", .bool, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(WebshopMappingModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("webshop_id", .int64, .required, .references(WebshopModel.schema, "id", onDelete: .cascade))
            .field("external_key", .string, .required)
            .field("product_id", .int64, .required, .references(ProductModel.schema, "id", onDelete: .cascade))
            .field("plan_id", .int64, .required, .references(PaymentPlanModel.schema, "id", onDelete: .cascade))
            .unique(on: "webshop_id", "external_key")
            .create()
        try await db.schema(WebshopOrderModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("webshop_id", .int64, .required, .references(WebshopModel.schema, "id", onDelete: .cascade))
            .field("external_order_id", .string, .required)
            .field("state", .string, .required)
            .field("action", .string, .required)
            .field("customer_id", .int64, .references(CustomerModel.schema, "id", onDelete: .setNull))
            .field("plan_id", .int64)
            .field("periods", .int, .required)
            .field("previous_expiry", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "webshop_id", "external_order_id")
            .create()
        try await db.schema(WebshopDeliveryModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("webshop_id", .int64, .required, .references(WebshopModel.schema, "id", onDelete: .cascade))
            .field("received_at", .datetime, .required)
            .field("event", .string, .required)
            .field("delivery_id", .string, .required)
            .field("external_order_id", .string, .required)
            .field("signature_ok", .bool, .required)
            .field("outcome", .string, .required)
            .field("message", .string, .required)
            .field("status", .int, .required)
            .create()
        try await db.sql.create(index: "webshop_deliveries_shop_idx").on(WebshopDeliveryModel.schema).column("webshop_id").column("id").run()
    }

    func revert(on db: Database) async throws {
        for s in [WebshopDeliveryModel.schema, WebshopOrderModel.schema, WebshopMappingModel.schema, WebshopModel.schema] {
            try await db.schema(s).delete()
        }
    }
}
