import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The TVMS home page (deployment picker with counts) and creating deployments.
enum HomeController {
    struct Card: Encodable {
        var id: String
        var name: String
        var cmsService: String
        var crmService: String
        var timeZone: String
        var currency: String
        var current: Bool
        var counts: [KeyValue]
        var selectHref: String
    }

    struct HomeVM: Encodable {
        var cards: [Card]
        var canCreate: Bool
        var jobSummary: [KeyValue]
    }

    static func register(_ console: any RoutesBuilder) {
        console.get(use: home)
        console.get("deployments", ":id", "select", use: select)
        let owner = console.grouped(RequirePermission(permission: .createDeployments))
        owner.get("deployments", "new", use: newForm)
        owner.post("deployments", use: create)
    }

    static func home(_ req: Request) async throws -> Response {
        let env = req.serviceEnvironment
        let actor = try req.actor
        if actor.resellerID != nil { return req.redirect(to: "/portal", redirectType: .normal) }
        let deployments = try await DeploymentService.list(env, actor: actor)
        let current = try await req.currentDeployment()
        let since = env.now.addingTimeInterval(-86_400)
        var cards: [Card] = []
        for d in deployments {
            let id = d.id!
            let users = try await SystemUserDeploymentModel.query(on: req.db).filter(\.$deployment.$id == id).count()
            let owners = try await SystemUserModel.query(on: req.db).filter(\.$role == Role.owner.rawValue).count()
            let changes = try await AuditRecordModel.query(on: req.db).filter(\.$deploymentID == id).filter(\.$at >= since).count()
            cards.append(Card(id: id.uuidString, name: d.name, cmsService: d.cmsService, crmService: d.crmService,
                              timeZone: d.timeZone, currency: d.defaultCurrency, current: id == current?.id,
                              counts: [KeyValue(key: "Console users", value: String(users + owners), mono: false),
                                       KeyValue(key: "Changes in 24 h", value: String(changes), mono: false)],
                              selectHref: "/deployments/\(id.uuidString)/select"))
        }
        var jobs: [KeyValue] = []
        if actor.may(.viewJobs) {
            let counts = try await JobQueue.counts(env)
            jobs = JobStatus.allCases.map { KeyValue(key: $0.rawValue.capitalized, value: String(counts[$0.rawValue] ?? 0), mono: false) }
        }
        return try await Layout.render(req, "home", title: "TVMS", HomeVM(cards: cards, canCreate: actor.may(.createDeployments), jobSummary: jobs))
    }

    static func select(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        let d = try await DeploymentService.find(req.serviceEnvironment, actor: req.actor, id: id)
        req.session.data["did"] = id.uuidString
        req.flash(.info, "Now working in \(d.name).")
        return req.redirect(to: "/", redirectType: .normal)
    }

    struct DeploymentForm: Content {
        var name: String?
        var cmsService: String?
        var crmService: String?
        var timeZone: String?
        var defaultCurrency: String?
    }

    static func form(_ f: DeploymentForm) -> FormVM {
        FormVM(heading: "New deployment", intro: "A deployment is one CMS/CRM pair: its own content, customers and business-API token. Billing systems address it by its crmService and cmsService names.",
               action: "/deployments", fields: [
                Field("name", "Name", value: f.name ?? "", required: true),
                Field("cmsService", "cmsService", value: f.cmsService ?? "", help: "Lowercase letters, digits, - or _; sent by API clients.", required: true),
                Field("crmService", "crmService", value: f.crmService ?? "", help: "Lowercase letters, digits, - or _; sent by API clients.", required: true),
                Field("timeZone", "Time zone", type: "select", value: f.timeZone ?? "UTC", options: timeZoneOptions(selected: f.timeZone ?? "UTC"), required: true),
                Field("defaultCurrency", "Default currency", value: f.defaultCurrency ?? "EUR", help: "ISO 4217 code, e.g. EUR, USD.", required: true),
               ], submitLabel: "Create deployment", cancelHref: "/", formError: nil)
    }

    static func newForm(_ req: Request) async throws -> Response {
        try await Layout.render(req, "form", title: "New deployment", form(DeploymentForm()))
    }

    static func create(_ req: Request) async throws -> Response {
        let f = try req.content.decode(DeploymentForm.self)
        do {
            let created = try await DeploymentService.create(req.serviceEnvironment, actor: req.actor, input: .init(
                name: f.name ?? "", cmsService: f.cmsService ?? "", crmService: f.crmService ?? "",
                timeZone: f.timeZone ?? "", defaultCurrency: f.defaultCurrency ?? ""))
            req.session.data["did"] = created.deployment.id?.uuidString
            return try await SettingsController.showSecret(req, heading: "Deployment created",
                message: "Copy the business-API token now: it is shown only this once. You can rotate it later on the API Connector page.",
                secret: created.authToken, deployment: created.deployment)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = form(f)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "New deployment", vm, status: .unprocessableEntity)
        }
    }

    static func timeZoneOptions(selected: String) -> [FieldOption] {
        (["UTC"] + TimeZone.knownTimeZoneIdentifiers.filter { $0.contains("/") }.sorted())
            .map { FieldOption(value: $0, label: $0, selected: $0 == selected) }
    }
}
