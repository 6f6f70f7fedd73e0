/// Who an operator account is, and therefore what it may reach.
///
/// The matrix lives here, in one place, so the console, the REST API and the tests all ask the same
/// question (`role.allows(.x)`) instead of repeating role lists in controllers.
public enum Role: String, CaseIterable, Codable, Sendable {
    /// Everything in every deployment, including System Users and new deployments.
    case owner
    /// Everything inside the deployments granted to the account.
    case admin
    /// CMS only (content, EPG, delivery) in granted deployments.
    case editor
    /// CRM customers and tickets in granted deployments.
    case support
    /// Its own customers, products assigned to it and its balance (filled in by the resellers area).
    case reseller
    /// Its own set-top-box stock and customers (filled in by the resellers area).
    case dealer

    public var label: String {
        switch self {
        case .owner: "Owner"
        case .admin: "Admin"
        case .editor: "Content editor"
        case .support: "Support agent"
        case .reseller: "Reseller"
        case .dealer: "Dealer"
        }
    }

    /// Roles an operator can hand out from the System Users page. Reseller and dealer accounts are
    /// created from the CRM's reseller and dealer pages, where their balance and stock are set up.
    public static let systemUserRoles: [Role] = [.owner, .admin, .editor, .support]

    /// Owners see every deployment; everyone else sees the deployments granted to them.
    public var seesAllDeployments: Bool { self == .owner }

    public func allows(_ permission: Permission) -> Bool {
        Role.matrix[self, default: []].contains(permission)
    }

    static let matrix: [Role: Set<Permission>] = [
        .owner: Set(Permission.allCases),
        .admin: [.viewHome, .manageDeploymentSettings, .viewAuditLog, .viewJobs, .manageJobs,
                 .cms, .crm, .miq, .uit, .apiConnector, .useRestAPI],
        .editor: [.viewHome, .cms, .useRestAPI],
        .support: [.viewHome, .crm, .useRestAPI],
        // A reseller may hold its own REST token: it acts for that reseller only (business API, REST v1).
        .reseller: [.viewHome, .resellerPortal, .useRestAPI],
        .dealer: [.viewHome, .resellerPortal],
    ]
}

/// A capability checked by the console and the API. Sections of the manual map onto these.
public enum Permission: String, CaseIterable, Codable, Sendable {
    case viewHome
    /// Top panel › System Users, and creating deployments.
    case manageSystemUsers
    case createDeployments
    /// Top panel › Time Zone, Company Info, API token rotation for a granted deployment.
    case manageDeploymentSettings
    case viewAuditLog
    case viewJobs
    case manageJobs
    case cms
    case crm
    case miq
    case uit
    case apiConnector
    case useRestAPI
    case resellerPortal
}
