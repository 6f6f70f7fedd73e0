import FluentKit
import SQLKit

/// Callback adapters (docs/DELIVERY.md): a streaming server's callback URL key (digest) and its
/// WMSPanel push-API token (sealed), the viewing time a server reports per playback, and the
/// Nimble pay-per-view syncs already counted. Add-only: one ALTER per column.
struct M0019_AddStreamCallbacks: AsyncMigration {
    func prepare(on db: Database) async throws {
        let boolean = SQLDataType.custom(SQLRaw(db.dialect == .postgres ? "BOOLEAN" : "INTEGER"))
        try await db.sql.alter(table: TranscoderModel.schema).column("callback_enabled", type: boolean, .notNull, .default(false)).run()
        for column in ["callback_key_digest", "callback_key_hint", "ppv_token_sealed", "ppv_token_hint"] {
            try await db.sql.alter(table: TranscoderModel.schema).column(column, type: .text, .notNull, .default("")).run()
        }
        try await db.sql.create(index: "transcoders_callback_key_idx").on(TranscoderModel.schema).column("callback_key_digest").run()
        // Nullable: NULL = no server reported viewing time for the playback.
        try await db.sql.alter(table: PlaybackSessionModel.schema).column("viewed_seconds", type: .bigint).run()
        try await db.schema(StreamCallbackSyncModel.schema)
            .field("id", .int64, .identifier(auto: true))
            .field("deployment_id", .uuid, .required, .references(DeploymentModel.schema, "id", onDelete: .cascade))
            .field("transcoder_id", .int64, .required, .references(TranscoderModel.schema, "id", onDelete: .cascade))
            .field("sync_digest", .string, .required)
            .field("received_at", .datetime, .required)
            .unique(on: "transcoder_id", "sync_digest")
            .create()
        try await db.sql.create(index: "stream_callback_syncs_received_idx").on(StreamCallbackSyncModel.schema).column("received_at").run()
    }

    func revert(on db: Database) async throws {
        try await db.schema(StreamCallbackSyncModel.schema).delete()
        try await db.schema(PlaybackSessionModel.schema).deleteField("viewed_seconds").update()
        try await db.sql.drop(index: "transcoders_callback_key_idx").run()
        for column in ["callback_enabled", "callback_key_digest", "callback_key_hint", "ppv_token_sealed", "ppv_token_hint"] {
            try await db.schema(TranscoderModel.schema).deleteField(.string(column)).update()
        }
    }
}
