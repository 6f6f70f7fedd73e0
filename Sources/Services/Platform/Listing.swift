import FluentKit
import Foundation
import Storage

/// What a console table asks for: one sort column, direction, page, page size, a free-text search
/// and named filters. Each list use case maps the sort key to a column it allows.
public struct ListRequest: Sendable, Equatable {
    public var sort: String?
    public var descending: Bool
    public var page: Int
    public var perPage: Int
    public var search: String
    public var filters: [String: String]

    public init(sort: String? = nil, descending: Bool = false, page: Int = 1, perPage: Int = 25,
                search: String = "", filters: [String: String] = [:]) {
        self.sort = sort
        self.descending = descending
        self.page = max(1, page)
        self.perPage = min(max(1, perPage), 200)
        self.search = search.trimmingCharacters(in: .whitespacesAndNewlines)
        self.filters = filters
    }
}

public struct PageResult<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var page: Int
    public var perPage: Int

    public init(items: [Item], total: Int, page: Int, perPage: Int) {
        self.items = items
        self.total = total
        self.page = page
        self.perPage = perPage
    }

    public var pageCount: Int { max(1, (total + perPage - 1) / perPage) }
}

extension QueryBuilder {
    /// Case-insensitive "contains" on both databases (ILIKE on PostgreSQL; SQLite's LIKE already
    /// folds ASCII case).
    @discardableResult
    public func filterContains(_ field: KeyPath<Model, FieldProperty<Model, String>>, _ term: String, on db: any Database) -> Self {
        let escaped = term.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
        if db.dialect == .postgres {
            return filter(field, .custom("ILIKE"), "%\(escaped)%")
        }
        return filter(field, .contains(inverse: false, .anywhere), escaped)
    }

    public func page(_ request: ListRequest) async throws -> PageResult<Model> {
        let total = try await copy().count()
        let items = try await range((request.page - 1) * request.perPage ..< request.page * request.perPage).all()
        return PageResult(items: items, total: total, page: request.page, perPage: request.perPage)
    }
}
