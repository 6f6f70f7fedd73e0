import FluentKit
import SQLKit

struct M0006_CreateCurrenciesAndProducts: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(CurrencyModel.schema)
            .id()
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("symbol", .string, .required)
            .field("is_default", .bool, .required)
            .unique(on: "deployment_id", "code")
            .create()
        try await db.schema(ProductModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("mapping_id", .string)
            .field("subscription_type", .string, .required)
            .field("payment_type", .string, .required)
            .field("start_from_first_login", .bool, .required)
            .field("allowed_countries", .string, .required)
            .field("is_rtl", .bool, .required)
            .field("max_devices", .int, .required)
            .field("user_interface_id", .string)
            .field("default_currency", .string, .required)
            .field("disclaimer", .string, .required)
            .field("support_text", .string, .required)
            .field("ip_allowed", .string, .required)
            .field("ip_blocked", .string, .required)
            .field("ip_lock_first", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await db.sql.create(index: "products_deployment_idx").on(ProductModel.schema).column("deployment_id").column("name").run()
        try await db.schema(ExtraPackageModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("product_id", .int64, .required, .references(ProductModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("mapping_id", .string)
            .create()
        try await db.schema(PaymentPlanModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("product_id", .int64, .required, .references(ProductModel.schema, "id", onDelete: .cascade))
            .field("extra_package_id", .int64, .references(ExtraPackageModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("length_count", .int, .required)
            .field("length_unit", .string, .required)
            .field("credits_price", .int64)
            .field("position", .int, .required)
            .create()
        try await db.sql.create(index: "payment_plans_product_idx").on(PaymentPlanModel.schema).column("product_id").run()
        try await db.schema(PlanPriceModel.schema)
            .id()
            .field("plan_id", .int64, .required, .references(PaymentPlanModel.schema, "id", onDelete: .cascade))
            .field("currency", .string, .required)
            .field("amount", .int64, .required)
            .unique(on: "plan_id", "currency")
            .create()
        try await db.schema(ProductOptionModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("product_id", .int64, .required, .references(ProductModel.schema, "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("name", .string, .required)
            .field("amount", .int, .required)
            .field("platform", .string, .required)
            .field("version", .string, .required)
            .field("url", .string, .required)
            .create()
    }

    func revert(on db: Database) async throws {
        for s in [ProductOptionModel.schema, PlanPriceModel.schema, PaymentPlanModel.schema, ExtraPackageModel.schema, ProductModel.schema, CurrencyModel.schema] {
            try await db.schema(s).delete()
        }
    }
}

struct M0007_CreateCustomers: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(CustomerModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .field("deleted_at", .datetime)
            .field("mapping_id", .string)
            .field("reseller_id", .int64)
            .field("dealer_id", .int64)
            .field("title", .string, .required)
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("street", .string, .required)
            .field("zip", .string, .required)
            .field("city", .string, .required)
            .field("state", .string, .required)
            .field("country", .string, .required)
            .field("phone", .string, .required)
            .field("mobile", .string, .required)
            .field("email", .string, .required)
            .field("facility", .string, .required)
            .field("comment", .string, .required)
            .field("login", .string, .required)
            .field("password_hash", .string, .required)
            .field("custom_login", .bool, .required)
            .field("product_id", .int64, .required, .references(ProductModel.schema, "id"))
            .field("plan_id", .int64)
            .field("currency", .string, .required)
            .field("status", .string, .required)
            .field("disabled", .bool, .required)
            .field("start_from_first_login", .bool, .required)
            .field("starts_at", .datetime)
            .field("expires_at", .datetime)
            .field("renewal_interval", .int, .required)
            .field("first_login_at", .datetime)
            .field("wallet_balance", .int64, .required)
            .field("search_first", .string, .required)
            .field("search_last", .string, .required)
            .field("search_email", .string, .required)
            .field("search_phone", .string, .required)
            .unique(on: "deployment_id", "login")
            .create()
        let sql = db.sql
        // Prefix search compares strings byte by byte (`>= p AND < p + U+10FFFF`). SQLite's default
        // collation is binary already; on PostgreSQL the database's linguistic collation would
        // reorder punctuation, so the searched columns use the "C" collation there.
        if db.dialect == .postgres {
            for column in ["login", "search_first", "search_last", "search_email", "search_phone", "mapping_id"] {
                try await sql.raw("ALTER TABLE customers ALTER COLUMN \(unsafeRaw: column) TYPE text COLLATE \"C\"").run()
            }
        }
        // Keyset listing and every prefix search are index range scans within one deployment.
        for (name, cols) in [("customers_list_idx", ["deployment_id", "id"]),
                             ("customers_status_idx", ["deployment_id", "status", "id"]),
                             ("customers_product_idx", ["deployment_id", "product_id", "id"]),
                             ("customers_reseller_idx", ["deployment_id", "reseller_id", "id"]),
                             ("customers_first_idx", ["deployment_id", "search_first"]),
                             ("customers_last_idx", ["deployment_id", "search_last"]),
                             ("customers_email_idx", ["deployment_id", "search_email"]),
                             ("customers_phone_idx", ["deployment_id", "search_phone"]),
                             ("customers_mapping_idx", ["deployment_id", "mapping_id"]),
                             ("customers_expiry_idx", ["status", "expires_at"])] {
            var b = sql.create(index: SQLIdentifier(name)).on(CustomerModel.schema)
            for c in cols { b = b.column(c) }
            try await b.run()
        }
        try await db.schema(CustomerExtraPackageModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("customer_id", .int64, .required, .references(CustomerModel.schema, "id", onDelete: .cascade))
            .field("extra_package_id", .int64, .required, .references(ExtraPackageModel.schema, "id"))
            .field("plan_id", .int64, .required)
            .field("synced", .bool, .required)
            .field("starts_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("status", .string, .required)
            .create()
        try await sql.create(index: "customer_extras_customer_idx").on(CustomerExtraPackageModel.schema).column("customer_id").run()
        try await sql.create(index: "customer_extras_expiry_idx").on(CustomerExtraPackageModel.schema).column("status").column("expires_at").run()
        try await db.schema(CustomerDeviceModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("customer_id", .int64, .required, .references(CustomerModel.schema, "id", onDelete: .cascade))
            .field("linked", .bool, .required)
            .field("connected", .bool, .required)
            .field("mac", .string, .required)
            .field("serial", .string, .required)
            .field("uuid", .string, .required)
            .field("model", .string, .required)
            .field("device_type", .string, .required)
            .field("ip", .string, .required)
            .field("app_version", .string, .required)
            .field("last_seen_at", .datetime)
            .field("created_at", .datetime)
            .create()
        try await sql.create(index: "customer_devices_customer_idx").on(CustomerDeviceModel.schema).column("customer_id").run()
        try await sql.create(index: "customer_devices_mac_idx").on(CustomerDeviceModel.schema).column("mac").run()
        try await db.schema(WalletTransactionModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("customer_id", .int64, .required, .references(CustomerModel.schema, "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("amount", .int64, .required)
            .field("balance_after", .int64, .required)
            .field("currency", .string, .required)
            .field("reason", .string, .required)
            .field("actor_label", .string, .required)
            .field("idempotency_key", .string)
            .unique(on: "customer_id", "idempotency_key")
            .create()
        try await db.schema(CustomerMessageModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("customer_id", .int64, .required, .references(CustomerModel.schema, "id", onDelete: .cascade))
            .field("at", .datetime, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("read_at", .datetime)
            .create()
    }

    func revert(on db: Database) async throws {
        for s in [CustomerMessageModel.schema, WalletTransactionModel.schema, CustomerDeviceModel.schema, CustomerExtraPackageModel.schema, CustomerModel.schema] {
            try await db.schema(s).delete()
        }
    }
}
