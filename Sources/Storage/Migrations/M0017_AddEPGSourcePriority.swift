import FluentKit
import SQLKit

/// A guide source's priority: when several sources have a channel of the same name, automatic
/// matching takes the one with the highest priority (docs/EPG.md, "Matching").
struct M0017_AddEPGSourcePriority: AsyncMigration {
    func prepare(on db: Database) async throws {
        try await db.sql.alter(table: EPGSourceModel.schema).column("priority", type: .int, .notNull, .default(0)).run()
    }

    func revert(on db: Database) async throws {
        try await db.schema(EPGSourceModel.schema).deleteField("priority").update()
    }
}
