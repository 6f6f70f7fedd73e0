import FluentKit
import SQLKit

/// Reseller extras (extra-package mapping, domain mapping, branding), stored media, dealers,
/// device models and set-top-box stock; and a `kind` on ledger entries for the performance page.
struct M0009_CreateResellerExtrasAndStock: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(LedgerEntryModel.schema).field("kind", .string).update()
        // Entries written before kinds existed: derive the kind from the reason they were given.
        for (kind, pattern) in [("sale", "new customer%"), ("renewal", "renewal of%")] {
            try await db.sql.raw("UPDATE ledger_entries SET kind = \(bind: kind) WHERE kind IS NULL AND reason LIKE \(bind: pattern)").run()
        }

        try await db.schema(ResellerExtraPackageModel.schema)
            .id()
            .field("reseller_id", .int64, .required, .references(ResellerModel.schema, "id", onDelete: .cascade))
            .field("extra_package_id", .int64, .required, .references(ExtraPackageModel.schema, "id", onDelete: .cascade))
            .field("credits_price", .int64)
            .field("discount_bp", .int, .required)
            .unique(on: "reseller_id", "extra_package_id")
            .create()
        try await db.schema(M0023_CreateHostnames.legacyResellerDomains)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("reseller_id", .int64, .required, .references(ResellerModel.schema, "id", onDelete: .cascade))
            .field("hostname", .string, .required)
            .field("created_at", .datetime)
            // A hostname resolves to one reseller across the whole installation.
            .unique(on: "hostname")
            .create()
        try await db.schema(MediaAssetModel.schema)
            .id()
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("content_type", .string, .required)
            .field("byte_size", .int, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("sha256", .string, .required)
            .field("data", .data, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(ResellerBrandingModel.schema)
            .field("reseller_id", .int64, .identifier(auto: false), .references(ResellerModel.schema, "id", onDelete: .cascade))
            .field("background_id", .uuid, .references(MediaAssetModel.schema, "id", onDelete: .setNull))
            .field("logo_id", .uuid, .references(MediaAssetModel.schema, "id", onDelete: .setNull))
            .field("selection_colour", .string, .required)
            .field("support_text", .string, .required)
            .field("updated_at", .datetime)
            .create()

        try await db.schema(DealerModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("contact", .string, .required)
            .field("email", .string, .required)
            .field("phone", .string, .required)
            .field("address", .string, .required)
            .field("enabled", .bool, .required)
            .field("created_at", .datetime)
            .create()
        try await db.schema(DeviceModelModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("vendor", .string, .required)
            .field("kind", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "deployment_id", "name")
            .create()
        try await db.schema(StockItemModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("model_id", .int64, .required, .references(DeviceModelModel.schema, "id"))
            .field("dealer_id", .int64, .references(DealerModel.schema, "id", onDelete: .setNull))
            .field("mac", .string, .required)
            .field("serial", .string, .required)
            .field("state", .string, .required)
            .field("customer_id", .int64, .references(CustomerModel.schema, "id", onDelete: .setNull))
            .field("device_id", .int64, .references(CustomerDeviceModel.schema, "id", onDelete: .setNull))
            .field("note", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        // One box per MAC and per serial in a deployment; boxes may lack either (empty string).
        try await db.sql.raw("CREATE UNIQUE INDEX stock_items_mac_uq ON stock_items (deployment_id, mac) WHERE mac <> ''").run()
        try await db.sql.raw("CREATE UNIQUE INDEX stock_items_serial_uq ON stock_items (deployment_id, serial) WHERE serial <> ''").run()
        try await db.sql.create(index: "stock_items_state_idx").on(StockItemModel.schema).column("deployment_id").column("state").column("id").run()
    }

    func revert(on db: Database) async throws {
        for s in [StockItemModel.schema, DeviceModelModel.schema, DealerModel.schema, ResellerBrandingModel.schema, MediaAssetModel.schema,
                  M0023_CreateHostnames.legacyResellerDomains, ResellerExtraPackageModel.schema] {
            try await db.schema(s).delete()
        }
        try await db.schema(LedgerEntryModel.schema).deleteField("kind").update()
    }
}
