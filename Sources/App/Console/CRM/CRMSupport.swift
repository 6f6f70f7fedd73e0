import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// What every CRM page needs: the services, who acts, and the deployment being worked in.
struct CRMContext {
    var env: ServiceEnvironment
    var actor: Principal
    var deployment: DeploymentModel
    var dates: DateDisplay

    var deploymentID: UUID { deployment.id! }
    var zone: TimeZone { TimeZone(identifier: deployment.timeZone) ?? TimeZone(identifier: "UTC")! }

    /// yyyy-MM (the statement month) in the deployment's zone.
    func month(_ date: Date) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM"
        f.timeZone = zone
        return f.string(from: date)
    }

    /// yyyy-MM-dd in the deployment's zone.
    func day(_ date: Date?) -> String {
        guard let date else { return "" }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = zone
        return f.string(from: date)
    }

    /// A date picked in a form means the end of that day in the deployment's zone.
    func endOfDay(_ text: String) -> Date? {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = zone
        guard let start = f.date(from: text) else { return nil }
        return SubscriptionCalendar.calendar(zone).date(byAdding: DateComponents(day: 1, second: -1), to: start)
    }
}

extension Request {
    func crm() async throws -> CRMContext {
        let actor = try self.actor
        try actor.require(.crm)
        let d = try await requireCurrentDeployment()
        try actor.require(.crm, in: d.requireID())
        return CRMContext(env: serviceEnvironment, actor: actor, deployment: d, dates: DateDisplay(timeZone: d.timeZone))
    }

    /// All values of a urlencoded form, for forms whose field names are data (price_EUR…).
    func formValues() throws -> [String: String] {
        (try? content.decode([String: String].self)) ?? [:]
    }
}

/// Formats minor units with the currency's decimals.
func money(_ amount: Int64, _ code: String) -> String {
    Money(minorUnits: amount, currency: CurrencyCode(code) ?? .credits).formatted
}

extension Bool {
    init(checkbox value: String?) { self = value == "on" || value == "true" || value == "1" }
}
