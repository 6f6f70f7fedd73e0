import FluentKit
import SQLKit

/// Published catalogue documents ("Cloud Sync"): immutable, versioned per product and kind.
struct M0014_CreatePublications: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(PublicationModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("product_id", .int64, .required, .references(ProductModel.schema, "id", onDelete: .cascade))
            .field("kind", .string, .required)
            .field("version", .int, .required)
            .field("sha256", .string, .required)
            .field("byte_size", .int, .required)
            .field("gzip_size", .int, .required)
            .field("gzip_data", .data, .required)
            .field("item_count", .int, .required)
            .field("published_at", .datetime, .required)
            .field("published_by", .string, .required)
            .unique(on: "product_id", "kind", "version")
            .create()
        try await db.sql.create(index: "publications_current_idx").on(PublicationModel.schema).column("product_id").column("kind").column("version").run()
    }

    func revert(on db: Database) async throws { try await db.schema(PublicationModel.schema).delete() }
}
