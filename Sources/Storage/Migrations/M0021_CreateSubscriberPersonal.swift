import FluentKit
import SQLKit

/// The subscriber's own data (issue 9): profiles with PINs and age limits, favourites and
/// watchlists, resume points, analytics events and their batches, problem reports; customers get
/// an account-wide parental age limit, and messages can be hidden by the customer.
struct M0021_CreateSubscriberPersonal: AsyncMigration {
    func prepare(on db: Database) async throws {
        let owned = { (b: SchemaBuilder) in
            b.field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
                .field("customer_id", .int64, .required, .references(CustomerModel.schema, "id", onDelete: .cascade))
        }
        try await owned(db.schema(CustomerProfileModel.schema).field("id", .int64, .identifier(auto: true)))
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("default_for", .int64)
            .field("name", .string, .required)
            .field("avatar", .string, .required)
            .field("kids", .bool, .required)
            .field("max_rating", .int)
            .field("position", .int, .required)
            .field("pin_digest", .string, .required)
            .field("pin_failures", .int, .required)
            .field("pin_locked_until", .datetime)
            .unique(on: "default_for")
            .create()
        try await db.sql.create(index: "customer_profiles_customer_idx").on(CustomerProfileModel.schema).column("customer_id").column("position").run()

        try await owned(db.schema(ProfileItemModel.schema).field("id", .int64, .identifier(auto: true)))
            .field("profile_id", .int64, .required, .references(CustomerProfileModel.schema, "id", onDelete: .cascade))
            .field("list", .string, .required)
            .field("item", .string, .required)
            .field("added_at", .datetime, .required)
            .unique(on: "profile_id", "list", "item")
            .create()
        try await db.sql.create(index: "profile_items_list_idx").on(ProfileItemModel.schema).column("profile_id").column("list").column("added_at").run()

        try await owned(db.schema(ProfileProgressModel.schema).field("id", .int64, .identifier(auto: true)))
            .field("profile_id", .int64, .required, .references(CustomerProfileModel.schema, "id", onDelete: .cascade))
            .field("item", .string, .required)
            .field("position_seconds", .int, .required)
            .field("duration_seconds", .int, .required)
            .field("finished", .bool, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "profile_id", "item")
            .create()
        try await db.sql.create(index: "profile_progress_recent_idx").on(ProfileProgressModel.schema).column("profile_id").column("finished").column("updated_at").run()

        // Events keep their device and profile ids without foreign keys: a removed device or
        // profile does not take its viewing history out of the reports.
        try await owned(db.schema(ClientEventBatchModel.schema).field("id", .int64, .identifier(auto: true)))
            .field("device_id", .int64, .required)
            .field("profile_id", .int64)
            .field("batch_key", .string, .required)
            .field("context", .string, .required)
            .field("accepted", .int, .required)
            .field("rejected", .string, .required)
            .field("received_at", .datetime, .required)
            .unique(on: "device_id", "batch_key")
            .create()
        try await owned(db.schema(ClientEventModel.schema).field("id", .int64, .identifier(auto: true)))
            .field("device_id", .int64, .required)
            .field("profile_id", .int64)
            .field("batch_id", .int64, .required, .references(ClientEventBatchModel.schema, "id", onDelete: .cascade))
            .field("type", .string, .required)
            .field("at", .datetime, .required)
            .field("item", .string, .required)
            .field("position_seconds", .int)
            .field("duration_seconds", .int)
            .field("extra", .string, .required)
            .field("received_at", .datetime, .required)
            .create()
        try await db.sql.create(index: "client_events_report_idx").on(ClientEventModel.schema).column("deployment_id").column("type").column("at").run()
        try await db.sql.create(index: "client_events_customer_idx").on(ClientEventModel.schema).column("customer_id").column("at").run()
        try await db.sql.create(index: "client_events_batch_idx").on(ClientEventModel.schema).column("batch_id").run()

        try await owned(db.schema(ProblemReportModel.schema).field("id", .int64, .identifier(auto: true)))
            .field("device_id", .int64, .required)
            .field("profile_id", .int64)
            .field("item", .string, .required)
            .field("description", .string, .required)
            .field("diagnostics", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await db.sql.create(index: "problem_reports_customer_idx").on(ProblemReportModel.schema).column("customer_id").column("id").run()
        try await db.sql.create(index: "problem_reports_deployment_idx").on(ProblemReportModel.schema).column("deployment_id").column("id").run()

        // Items rated above this ask for the parental PIN (18 = only the built-in 18+ rule).
        try await db.sql.alter(table: CustomerModel.schema).column("parental_max_rating", type: .int, .notNull, .default(18)).run()
        // A message the customer deleted in the app stays in the CRM, hidden from the apps.
        try await db.schema(CustomerMessageModel.schema).field("hidden_at", .datetime).update()
        try await db.sql.create(index: "customer_messages_customer_idx").on(CustomerMessageModel.schema).column("customer_id").column("id").run()
    }

    func revert(on db: Database) async throws {
        try await db.sql.drop(index: "customer_messages_customer_idx").run()
        try await db.schema(CustomerMessageModel.schema).deleteField("hidden_at").update()
        try await db.schema(CustomerModel.schema).deleteField("parental_max_rating").update()
        for s in [ProblemReportModel.schema, ClientEventModel.schema, ClientEventBatchModel.schema, ProfileProgressModel.schema,
                  ProfileItemModel.schema, CustomerProfileModel.schema] {
            try await db.schema(s).delete()
        }
    }
}
