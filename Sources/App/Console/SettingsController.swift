import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Top panel › Time Zone and Company Info, and the API Connector page with the business-API
/// token, all for the current deployment.
enum SettingsController {
    static func register(_ console: any RoutesBuilder) {
        let s = console.grouped("settings").grouped(RequirePermission(permission: .manageDeploymentSettings))
        s.get("time-zone", use: timeZonePage)
        s.post("time-zone", use: saveTimeZone)
        s.get("company", use: companyPage)
        s.post("company", use: saveCompany)
        let api = console.grouped("settings", "api").grouped(RequirePermission(permission: .apiConnector))
        api.get(use: apiPage)
        api.get("rotate", use: confirmRotate)
        api.post("rotate", use: rotate)
    }

    typealias SettingsForm = DeploymentSettingsPatch

    static func timeZoneForm(_ d: DeploymentModel, _ f: SettingsForm?) -> FormVM {
        let tz = f?.timeZone ?? d.timeZone
        return FormVM(heading: "Time Zone — \(d.name)",
                      intro: "Times are stored in UTC. This zone is used to show times in the console, to schedule the nightly EPG refresh and publishing, and for calendar arithmetic on subscriptions.",
                      action: "/settings/time-zone", fields: [
                        Field("timeZone", "Time zone", type: "select", value: tz, options: HomeController.timeZoneOptions(selected: tz), required: true),
                        Field("defaultCurrency", "Default currency", value: f?.defaultCurrency ?? d.defaultCurrency, help: "ISO 4217 code used when a price names no currency.", required: true),
                      ], submitLabel: "Save", cancelHref: "/", formError: nil)
    }

    static func companyForm(_ d: DeploymentModel, _ f: SettingsForm?) -> FormVM {
        FormVM(heading: "Company Info — \(d.name)", intro: "Shown on invoices, e-mails and the apps' support screens.",
               action: "/settings/company", fields: [
                Field("name", "Deployment name", value: f?.name ?? d.name, required: true),
                Field("companyName", "Company name", value: f?.companyName ?? d.companyName),
                Field("companyAddress", "Address", type: "textarea", value: f?.companyAddress ?? d.companyAddress),
                Field("companyEmail", "E-mail", type: "email", value: f?.companyEmail ?? d.companyEmail),
                Field("companyPhone", "Phone", value: f?.companyPhone ?? d.companyPhone),
                Field("companyWebsite", "Website", value: f?.companyWebsite ?? d.companyWebsite),
               ], submitLabel: "Save", cancelHref: "/", formError: nil)
    }

    static func timeZonePage(_ req: Request) async throws -> Response {
        let d = try await req.requireCurrentDeployment()
        return try await Layout.render(req, "form", title: "Time Zone", timeZoneForm(d, nil))
    }

    static func companyPage(_ req: Request) async throws -> Response {
        let d = try await req.requireCurrentDeployment()
        return try await Layout.render(req, "form", title: "Company Info", companyForm(d, nil))
    }

    static func saveTimeZone(_ req: Request) async throws -> Response {
        try await save(req, title: "Time Zone", back: "/settings/time-zone", form: timeZoneForm)
    }

    static func saveCompany(_ req: Request) async throws -> Response {
        try await save(req, title: "Company Info", back: "/settings/company", form: companyForm)
    }

    /// Both pages post a subset of the settings; the rest keep their stored values.
    static func save(_ req: Request, title: String, back: String, form: (DeploymentModel, SettingsForm?) -> FormVM) async throws -> Response {
        let d = try await req.requireCurrentDeployment()
        let f = try req.content.decode(SettingsForm.self)
        do {
            _ = try await DeploymentService.updateSettings(req.serviceEnvironment, actor: req.actor, id: d.requireID(), settings: f.applied(to: d))
            req.flash(.success, "\(title) saved.")
            return req.redirect(to: back, redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = form(d, f)
            vm.apply(e)
            return try await Layout.render(req, "form", title: title, vm, status: .unprocessableEntity)
        }
    }

    struct APIConnectorVM: Encodable {
        var heading: String
        var details: [KeyValue]
        var rotateHref: String
        var example: String
        var endpoints: [EndpointRow]
    }

    struct EndpointRow: Encodable { var methods: String; var path: String; var aliases: String; var summary: String; var idempotent: Bool }

    static func apiPage(_ req: Request) async throws -> Response {
        let d = try await req.requireCurrentDeployment()
        let dates = try await req.dateDisplay()
        let base = baseURL(req)
        let vm = APIConnectorVM(
            heading: "API Connector — \(d.name)",
            details: connectorDetails(d, base: base) + [
                KeyValue(key: "authToken", value: "\(d.authTokenHint) (shown only when created or rotated)", mono: true),
                KeyValue(key: "Token last rotated", value: dates.string(d.authTokenRotatedAt), mono: false),
            ],
            rotateHref: "/settings/api/rotate",
            example: "curl '\(base)/api/GetProducts/getProducts?authToken=<token>&crmService=\(d.crmService)&cmsService=\(d.cmsService)'",
            endpoints: BillingEndpoints.all.map { e in
                EndpointRow(methods: e.methods.map(\.rawValue).joined(separator: ", "), path: "/api/\(e.controller)/\(e.actions[0])",
                            aliases: e.actions.dropFirst().joined(separator: ", "), summary: e.summary, idempotent: e.mutating)
            })
        return try await Layout.render(req, "api-connector", title: "API Connector", vm)
    }

    static func connectorDetails(_ d: DeploymentModel, base: String) -> [KeyValue] {
        [KeyValue(key: "API base URL", value: base + "/api", mono: true),
         KeyValue(key: "cmsService", value: d.cmsService, mono: true),
         KeyValue(key: "crmService", value: d.crmService, mono: true)]
    }

    static func confirmRotate(_ req: Request) async throws -> Response {
        let d = try await req.requireCurrentDeployment()
        return try await Layout.render(req, "confirm", title: "Rotate token", ConfirmVM(
            heading: "Rotate the business-API token of \(d.name)?",
            message: "The current token stops working immediately. Every billing system, webshop and module that uses it must be given the new token.",
            action: "/settings/api/rotate", buttonLabel: "Rotate token", cancelHref: "/settings/api"))
    }

    static func rotate(_ req: Request) async throws -> Response {
        let d = try await req.requireCurrentDeployment()
        let token = try await DeploymentService.rotateAuthToken(req.serviceEnvironment, actor: req.actor, id: d.requireID())
        return try await showSecret(req, heading: "New business-API token",
                                    message: "Copy it now: it is shown only this once. The previous token no longer works.",
                                    secret: token, deployment: d)
    }

    static func showSecret(_ req: Request, heading: String, message: String, secret: String, deployment d: DeploymentModel) async throws -> Response {
        let response = try await Layout.render(req, "secret", title: heading, SecretVM(
            heading: heading, message: message, secret: secret,
            details: connectorDetails(d, base: baseURL(req)), continueHref: "/settings/api"))
        return response
    }

    static func baseURL(_ req: Request) -> String {
        let host = req.headers.first(name: .host) ?? "localhost"
        let scheme = req.application.tvms.config.secureCookies ? "https" : "http"
        return "\(scheme)://\(host)"
    }
}

/// A partial change of a deployment's settings, as posted by the Time Zone and Company Info pages
/// and sent by `PATCH /api/v1/deployments/{id}`: absent fields keep their stored values.
struct DeploymentSettingsPatch: Content {
    var name: String?
    var timeZone: String?
    var defaultCurrency: String?
    var companyName: String?
    var companyAddress: String?
    var companyEmail: String?
    var companyPhone: String?
    var companyWebsite: String?

    func applied(to d: DeploymentModel) -> DeploymentService.Settings {
        var s = DeploymentService.Settings(d)
        s.name = name ?? s.name
        s.timeZone = timeZone ?? s.timeZone
        s.defaultCurrency = defaultCurrency ?? s.defaultCurrency
        s.companyName = companyName ?? s.companyName
        s.companyAddress = companyAddress ?? s.companyAddress
        s.companyEmail = companyEmail ?? s.companyEmail
        s.companyPhone = companyPhone ?? s.companyPhone
        s.companyWebsite = companyWebsite ?? s.companyWebsite
        return s
    }
}
