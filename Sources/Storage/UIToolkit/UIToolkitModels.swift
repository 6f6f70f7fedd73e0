import FluentKit
import Foundation

/// UIT › User Interfaces: one row per UI. `config` is the operator's `UIConfig` as JSON text
/// (menu, rails, labels and behaviour are nested and always read and written whole); `version`
/// is the number of the last published document in `user_interface_versions`.
public final class UserInterfaceModel: Model, @unchecked Sendable {
    public static let schema = "user_interfaces"
    @ID(key: .id) public var id: UUID?
    // References
    @Field(key: "deployment_id") public var deploymentID: UUID
    @OptionalField(key: "logo_id") public var logoID: UUID?
    @OptionalField(key: "background_id") public var backgroundID: UUID?
    // Data
    @Field(key: "name") public var name: String
    @Field(key: "template") public var template: String
    @Field(key: "config") public var config: String
    @Field(key: "version") public var version: Int
    /// The deployment's default UI: what a product gets when none is chosen.
    @Field(key: "is_default") public var isDefault: Bool
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    public init() {}
}

/// Every published version of a UI: the JSON document the apps got, kept so a version an app
/// cached can be looked at later.
public final class UserInterfaceVersionModel: Model, @unchecked Sendable {
    public static let schema = "user_interface_versions"
    @ID(custom: .id) public var id: Int?
    @Field(key: "ui_id") public var uiID: UUID
    @Field(key: "version") public var version: Int
    @Field(key: "document") public var document: String
    @Field(key: "published_at") public var publishedAt: Date
    /// Who saved it ("Demo Owner <owner@demo.tvms>", "system:demo").
    @Field(key: "published_by") public var publishedBy: String
    public init() {}
}

/// UIT › Languages: a language a deployment offers besides the built-in English.
public final class UILanguageModel: Model, @unchecked Sendable {
    public static let schema = "ui_languages"
    @ID(custom: .id) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @Field(key: "rtl") public var rtl: Bool
    public init() {}
}

/// One text of a translation layer. `scope` is "" for the deployment's own texts, or a UI's id
/// (lower-case) for that UI's overrides: a text column rather than a nullable reference, because
/// a unique constraint treats NULLs as distinct on PostgreSQL.
public final class UITranslationModel: Model, @unchecked Sendable {
    public static let schema = "ui_translations"
    @ID(custom: .id) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "scope") public var scope: String
    @Field(key: "language") public var language: String
    @Field(key: "key") public var key: String
    @Field(key: "text") public var text: String
    public init() {}
}
