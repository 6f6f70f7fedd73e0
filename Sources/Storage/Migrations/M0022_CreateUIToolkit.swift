import FluentKit
import SQLKit

/// UIT (issue 10): user interfaces and their published versions, the languages a deployment
/// offers and its translation layers.
struct M0022_CreateUIToolkit: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.schema(UserInterfaceModel.schema)
            .id()
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("logo_id", .uuid, .references(MediaAssetModel.schema, "id", onDelete: .setNull))
            .field("background_id", .uuid, .references(MediaAssetModel.schema, "id", onDelete: .setNull))
            .field("name", .string, .required)
            .field("template", .string, .required)
            .field("config", .string, .required)
            .field("version", .int, .required)
            .field("is_default", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "deployment_id", "name")
            .create()

        try await db.schema(UserInterfaceVersionModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("ui_id", .uuid, .required, .references(UserInterfaceModel.schema, "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("document", .string, .required)
            .field("published_at", .datetime, .required)
            .field("published_by", .string, .required)
            .unique(on: "ui_id", "version")
            .create()

        try await db.schema(UILanguageModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("rtl", .bool, .required)
            .unique(on: "deployment_id", "code")
            .create()

        try await db.schema(UITranslationModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("scope", .string, .required)
            .field("language", .string, .required)
            .field("key", .string, .required)
            .field("text", .string, .required)
            .unique(on: "deployment_id", "scope", "language", "key")
            .create()
    }

    func revert(on db: Database) async throws {
        for s in [UITranslationModel.schema, UILanguageModel.schema, UserInterfaceVersionModel.schema, UserInterfaceModel.schema] {
            try await db.schema(s).delete()
        }
    }
}
