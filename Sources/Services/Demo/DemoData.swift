import Domain
import FluentKit
import Foundation
import Storage

/// The demo data set behind `tvms demo` and `tvms serve --demo`. Its credentials are fixed and
/// documented in the README so tutorials and integration tests can rely on them; they exist only
/// when an operator asks for demo mode.
public enum DemoData {
    public static let ownerEmail = "owner@demo.tvms"
    public static let ownerPassword = "demo1234"
    public static let cmsService = "democms"
    public static let crmService = "democrm"
    public static let authToken = "demo-auth-token"

    public enum Outcome: Sendable, Equatable { case loaded, alreadyPresent }

    /// Loads the set into a database that does not have it yet. Running it twice changes nothing.
    public static func load(_ env: ServiceEnvironment) async throws -> Outcome {
        if try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first() != nil {
            return .alreadyPresent
        }
        let actor = Principal.system("demo")
        let created = try await DeploymentService.create(env, actor: actor, input: .init(
            name: "Demo TV", cmsService: cmsService, crmService: crmService,
            timeZone: "Europe/Amsterdam", defaultCurrency: "EUR"), authToken: authToken)
        let d = created.deployment
        _ = try await DeploymentService.updateSettings(env, actor: actor, id: d.requireID(), settings: .init(
            name: d.name, timeZone: d.timeZone, defaultCurrency: d.defaultCurrency, companyName: "Demo TV B.V.",
            companyAddress: "Mediapark 1, 1217 WE Hilversum, Netherlands", companyEmail: "support@demo.tvms",
            companyPhone: "+31 35 000 0000", companyWebsite: "https://demo.tvms"))
        if try await SystemUserModel.query(on: env.db).filter(\.$email == ownerEmail).first() == nil {
            _ = try await SystemUserService.bootstrapCreate(env, email: ownerEmail, password: ownerPassword, role: .owner, name: "Demo Owner")
        }
        return .loaded
    }

    public static var loginsText: String {
        """
        Demo logins (demo mode only):
          Console owner:     \(ownerEmail) / \(ownerPassword)
          Deployment:        cmsService=\(cmsService) crmService=\(crmService)
          Business API:      authToken=\(authToken)
        """
    }
}
