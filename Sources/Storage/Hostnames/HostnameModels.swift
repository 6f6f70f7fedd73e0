import FluentKit
import Foundation

/// The address an app or WebTV site is configured with, and what its login screen shows (issue
/// 10). A hostname with a reseller is that reseller's brand domain (it replaced the
/// `reseller_domains` table): its apps carry the reseller's branding. Unique across the
/// installation, stored lower-cased.
public final class HostnameModel: Model, @unchecked Sendable {
    public static let schema = "hostnames"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    // References
    @Field(key: "deployment_id") public var deploymentID: UUID
    @OptionalField(key: "reseller_id") public var resellerID: Int?
    /// The user interface apps draw before sign-in (a `user_interfaces` id once UIs exist).
    @OptionalField(key: "default_ui_id") public var defaultUIID: UUID?
    // Data
    @Field(key: "hostname") public var hostname: String
    /// JSON object language code → text, shown beside the login form.
    @Field(key: "login_texts") public var loginTexts: String
    /// JSON object language code → disclaimer text.
    @Field(key: "disclaimers") public var disclaimers: String
    @Field(key: "support_email") public var supportEmail: String
    @Field(key: "support_phone") public var supportPhone: String
    @Field(key: "support_website") public var supportWebsite: String
    @Field(key: "support_text") public var supportText: String
    /// Comma list of `DevicePlatform` raw values.
    @Field(key: "platforms") public var platforms: String
    /// Comma list of `AuthMethod` raw values; never empty.
    @Field(key: "auth_methods") public var authMethods: String
    @Field(key: "android_store_url") public var androidStoreURL: String
    @Field(key: "ios_store_url") public var iosStoreURL: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    public init() {}

    public var loginTextsByLanguage: [String: String] { Self.decode(loginTexts) }
    public var disclaimersByLanguage: [String: String] { Self.decode(disclaimers) }

    public static func decode(_ json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    public static func encode(_ texts: [String: String]) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return (try? e.encode(texts.filter { !$0.value.isEmpty })).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

/// One app build for many operators (Top panel › Super Hostname): the app asks for a service id
/// and continues as the hostname that id maps to. Installation-wide, so it has no deployment.
public final class SuperHostnameModel: Model, @unchecked Sendable {
    public static let schema = "super_hostnames"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "hostname") public var hostname: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// A service id on a super hostname's Service ID screen → the hostname it stands for.
public final class SuperHostnameServiceModel: Model, @unchecked Sendable {
    public static let schema = "super_hostname_services"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "super_hostname_id") public var superHostnameID: Int
    /// Lower-cased; unique per super hostname.
    @Field(key: "service_id") public var serviceID: String
    @Field(key: "hostname_id") public var hostnameID: Int
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// White labelling of the operator console: the installation's brand (no reseller) and a brand
/// per reseller. Empty fields fall back to the installation's, then to TVMS's own look.
public final class ConsoleBrandModel: Model, @unchecked Sendable {
    public static let schema = "console_brands"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    /// Nil for the installation's brand; at most one brand per reseller.
    @OptionalField(key: "reseller_id") public var resellerID: Int?
    @Field(key: "name") public var name: String
    /// "#RRGGBB" or empty.
    @Field(key: "primary_colour") public var primaryColour: String
    @Field(key: "support_contact") public var supportContact: String
    /// A host name the console is also reached at; requests on it show this brand (login page
    /// included). Unique across the installation.
    @OptionalField(key: "console_domain") public var consoleDomain: String?
    // The logo lives in the row: the installation brand belongs to no deployment, and media
    // assets do. The bytes passed the same image checks as every other upload.
    @OptionalField(key: "logo_data") public var logoData: Data?
    @Field(key: "logo_type") public var logoType: String
    @Field(key: "logo_sha256") public var logoSHA256: String
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    public init() {}
}
