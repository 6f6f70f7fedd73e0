import FluentKit
import SQLKit

/// Hostnames, super hostnames and console white labelling (issue 10). Reseller domain mappings
/// were hostnames with a reseller all along: every `reseller_domains` row moves into `hostnames`
/// (same deployment, reseller, hostname and creation time; every platform and sign-in method
/// allowed, as the apps did before) and the old table goes.
struct M0023_CreateHostnames: AsyncMigration {
    /// The table M0009 created and this migration retires.
    static let legacyResellerDomains = "reseller_domains"
    static let allPlatforms = "web,android,ios,tv,stb"
    static let allAuthMethods = "password,activation_code,mac"

    func prepare(on db: Database) async throws {
        try await db.schema(HostnameModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("reseller_id", .int64, .references(ResellerModel.schema, "id", onDelete: .cascade))
            // No foreign key yet: user interfaces are another table's concern.
            .field("default_ui_id", .uuid)
            .field("hostname", .string, .required)
            .field("login_texts", .string, .required)
            .field("disclaimers", .string, .required)
            .field("support_email", .string, .required)
            .field("support_phone", .string, .required)
            .field("support_website", .string, .required)
            .field("support_text", .string, .required)
            .field("platforms", .string, .required)
            .field("auth_methods", .string, .required)
            .field("android_store_url", .string, .required)
            .field("ios_store_url", .string, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            // A hostname resolves to one deployment (and at most one reseller) installation-wide.
            .unique(on: "hostname")
            .create()
        try await db.sql.create(index: "hostnames_deployment_idx").on(HostnameModel.schema).column("deployment_id").column("hostname").run()

        try await db.sql.raw("""
            INSERT INTO \(ident: HostnameModel.schema) (deployment_id, reseller_id, default_ui_id, hostname, login_texts, disclaimers,
                support_email, support_phone, support_website, support_text, platforms, auth_methods, android_store_url, ios_store_url,
                created_at, updated_at)
            SELECT deployment_id, reseller_id, NULL, hostname, '{}', '{}', '', '', '', '', \(bind: Self.allPlatforms), \(bind: Self.allAuthMethods), '', '',
                created_at, created_at
            FROM \(ident: Self.legacyResellerDomains)
            """).run()
        try await db.schema(Self.legacyResellerDomains).delete()

        try await db.schema(SuperHostnameModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("hostname", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "hostname")
            .create()
        try await db.schema(SuperHostnameServiceModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("super_hostname_id", .int64, .required, .references(SuperHostnameModel.schema, "id", onDelete: .cascade))
            .field("service_id", .string, .required)
            .field("hostname_id", .int64, .required, .references(HostnameModel.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime)
            .unique(on: "super_hostname_id", "service_id")
            .create()

        try await db.schema(ConsoleBrandModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("reseller_id", .int64, .references(ResellerModel.schema, "id", onDelete: .cascade))
            .field("name", .string, .required)
            .field("primary_colour", .string, .required)
            .field("support_contact", .string, .required)
            .field("console_domain", .string)
            .field("logo_data", .data)
            .field("logo_type", .string, .required)
            .field("logo_sha256", .string, .required)
            .field("updated_at", .datetime)
            .unique(on: "reseller_id")
            .unique(on: "console_domain")
            .create()
    }

    func revert(on db: Database) async throws {
        try await db.schema(ConsoleBrandModel.schema).delete()
        try await db.schema(SuperHostnameServiceModel.schema).delete()
        try await db.schema(SuperHostnameModel.schema).delete()
        try await db.schema(Self.legacyResellerDomains)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("reseller_id", .int64, .required, .references(ResellerModel.schema, "id", onDelete: .cascade))
            .field("hostname", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "hostname")
            .create()
        try await db.sql.raw("""
            INSERT INTO \(ident: Self.legacyResellerDomains) (deployment_id, reseller_id, hostname, created_at)
            SELECT deployment_id, reseller_id, hostname, created_at FROM \(ident: HostnameModel.schema) WHERE reseller_id IS NOT NULL
            """).run()
        try await db.schema(HostnameModel.schema).delete()
    }
}
