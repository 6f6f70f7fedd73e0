import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CRM › Webshops: shops that send paid orders by webhook, their product mappings and the log of
/// every delivery.
enum WebshopsController {
    static func register(_ console: any RoutesBuilder) {
        let w = console.grouped("crm", "webshops").grouped(RequirePermission(permission: .crm))
        w.get(use: list)
        w.post(use: create)
        w.get(":id", use: details)
        w.post(":id", "mappings", use: map)
        w.post(":id", "mappings", ":mappingID", "remove", use: unmap)
        w.post(":id", "enable", use: enable)
        w.post(":id", "disable", use: disable)
        w.post(":id", "rotate", use: rotate)
    }

    static let platformLabels = ["woocommerce": "WooCommerce", "shopify": "Shopify", "generic": "Other (OpenCart, BigCommerce, PrestaShop, custom)"]

    static func webhookURL(_ req: Request, _ s: WebshopModel) -> String {
        SettingsController.baseURL(req) + "/webhooks/\(s.platform)/\(s.id!)"
    }

    struct ShopForm: Content { var name: String?; var platform: String?; var secret: String?; var reseller: String? }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await listPage(req, ctx, ShopForm(), error: nil)
    }

    static func listPage(_ req: Request, _ ctx: CRMContext, _ f: ShopForm, error: DomainError?) async throws -> Response {
        let shops = try await WebshopService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let resellers = try await ResellerService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let table = TableVM.simple(["ID", "Name", "Platform", "Sells for", "Status"], shops.map { s in
            Row(cells: [Cell(String(s.id!), mono: true), Cell(s.name, href: "/crm/webshops/\(s.id!)"), Cell(platformLabels[s.platform] ?? s.platform),
                        Cell(s.resellerID.flatMap { id in resellers.first { $0.id == id }?.name } ?? "the operator"),
                        Cell(s.enabled ? "Enabled" : "Disabled", badge: s.enabled ? "ok" : "muted")],
                actions: [RowAction(label: "Details", href: "/crm/webshops/\(s.id!)", postTo: nil, danger: false)])
        }, empty: "No webshop yet.")
        var form = FormVM(heading: "", intro: "TVMS shows the webhook address and secret to paste into the shop once the shop is added.", action: "/crm/webshops", fields: [
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("platform", "Platform", type: "select", options: WebshopService.platforms.map { FieldOption(value: $0, label: platformLabels[$0]!, selected: $0 == f.platform) }),
            Field("secret", "Webhook secret", type: "password", help: "Shopify: the app's API secret. Leave empty to generate one (WooCommerce, other shops).", autocomplete: "off"),
            Field("reseller", "Sell for", type: "select", options: [FieldOption(value: "", label: "the operator", selected: true)]
                    + resellers.map { FieldOption(value: String($0.id!), label: "\($0.name) (charged)", selected: String($0.id!) == f.reseller) }),
        ], submitLabel: "Add webshop", cancelHref: nil, formError: nil)
        if let error { form.apply(error) }
        let vm = SectionsVM(heading: "Webshops", intro: "Shops that sell your products: a paid order creates the customer (or renews the shop customer's subscription), a refund or cancellation takes it back. Each order is acted on once, however often the shop delivers it.",
                            buttons: [], tabs: [], sections: [Section(title: nil, table: table), Section(title: "Add a webshop", form: form)])
        return try await Layout.render(req, "sections", title: "Webshops", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(ShopForm.self)
        do {
            var input = WebshopService.ShopInput(name: f.name ?? "", platform: f.platform ?? "")
            input.secret = f.secret ?? ""
            input.resellerID = Int(f.reseller ?? "")
            let (shop, secret) = try await WebshopService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: input)
            return try await detailsPage(req, ctx, shop, newSecret: f.secret?.isEmpty == false ? nil : secret)
        } catch let e as DomainError where e.kind == .invalid {
            return try await listPage(req, ctx, f, error: e)
        }
    }

    static func details(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let shop = try await WebshopService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await detailsPage(req, ctx, shop, newSecret: nil)
    }

    /// The shop's page; `newSecret` is shown once, right after it was generated or rotated.
    static func detailsPage(_ req: Request, _ ctx: CRMContext, _ shop: WebshopModel, newSecret: String?) async throws -> Response {
        let base = "/crm/webshops/\(shop.id!)"
        let products = try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var planOptions: [FieldOption] = [], planNames: [Int: String] = [:]
        for p in products {
            for plan in try await PaymentPlanModel.query(on: req.db).filter(\.$productID == p.id!).filter(\.$extraPackageID == nil).sort(\.$id).all() {
                planNames[plan.id!] = "\(p.name) — \(plan.name)"
                planOptions.append(FieldOption(value: "\(p.id!):\(plan.id!)", label: "\(p.name) — \(plan.name)", selected: false))
            }
        }
        let mappings = try await WebshopMappingModel.query(on: req.db).filter(\.$webshopID == shop.id!).sort(\.$externalKey).all()
        let deliveries = try await WebshopService.deliveries(ctx.env, webshopID: shop.id!)
        let headers = ["woocommerce": "X-WC-Webhook-Signature", "shopify": "X-Shopify-Hmac-Sha256", "generic": "X-TVMS-Signature"]
        var sections = [Section(title: nil, details: [
            KeyValue(key: "Platform", value: platformLabels[shop.platform] ?? shop.platform, mono: false),
            KeyValue(key: "Webhook URL", value: webhookURL(req, shop), mono: true),
            KeyValue(key: "Signature", value: "\(headers[shop.platform] ?? ""): base64 HMAC-SHA256 of the raw body", mono: false),
            KeyValue(key: "Secret", value: "\(shop.secretHint) (shown only when set)", mono: true),
            KeyValue(key: "Status", value: shop.enabled ? "Enabled" : "Disabled: deliveries are refused", mono: false),
        ], actions: [RowAction(label: shop.enabled ? "Disable" : "Enable", href: nil, postTo: "\(base)/\(shop.enabled ? "disable" : "enable")", danger: shop.enabled),
                     RowAction(label: "Rotate secret", href: nil, postTo: "\(base)/rotate", danger: true)])]
        if let newSecret {
            sections.insert(Section(title: "Webhook secret", intro: "Paste this into the shop's webhook settings now: it is not shown again.", secret: newSecret), at: 0)
        }
        sections.append(Section(title: "Products", intro: "Which shop product, variant or SKU stands for which TVMS plan. An order's first mapped item is provisioned; its quantity is the number of periods.",
                                table: .simple(["Shop product / variant / SKU", "TVMS plan"], mappings.map { m in
                                    Row(cells: [Cell(m.externalKey, mono: true), Cell(planNames[m.planID] ?? "#\(m.planID)")],
                                        actions: [RowAction(label: "Remove", href: nil, postTo: "\(base)/mappings/\(m.id!)/remove", danger: true)])
                                }, empty: "Nothing mapped: orders are logged as ignored."),
                                form: FormVM(heading: "", intro: nil, action: "\(base)/mappings", fields: [
                                    Field("externalKey", "Shop product id, variant id or SKU", required: true), Field("plan", "TVMS plan", type: "select", options: planOptions)],
                                             submitLabel: "Map", cancelHref: nil, formError: nil)))
        sections.append(Section(title: "Deliveries", intro: "The newest 100 webhook deliveries and what became of each.",
                                table: .simple(["Received", "Event", "Order", "Signature", "Outcome", "Details", "HTTP"], deliveries.map { d in
                                    Row(cells: [Cell(ctx.dates.string(d.receivedAt)), Cell(d.event, mono: true), Cell(d.externalOrderID, mono: true),
                                                Cell(d.signatureOK ? "valid" : "invalid", badge: d.signatureOK ? "ok" : "danger"),
                                                Cell(d.outcome, badge: ["created": "ok", "renewed": "ok", "reversed": "info", "rejected": "danger", "failed": "danger"][d.outcome] ?? "muted"),
                                                Cell(d.message), Cell(String(d.status), mono: true)], actions: [])
                                }, empty: "No delivery yet.")))
        let vm = SectionsVM(heading: "Webshop \(shop.id!) — \(shop.name)", intro: nil, buttons: [Button(label: "Webshops", href: "/crm/webshops", primary: false)],
                            tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: shop.name, vm)
    }

    static func act(_ req: Request, _ body: (CRMContext, Int) async throws -> String) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/crm/webshops/\(id)") { try await body(ctx, id) }
    }

    struct MapForm: Content { var externalKey: String?; var plan: String? }

    static func map(_ req: Request) async throws -> Response {
        let f = try req.content.decode(MapForm.self)
        return try await act(req) { ctx, id in
            let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { throw DomainError.validation(["plan": "choose a plan"]) }
            try await WebshopService.map(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, webshopID: id, externalKey: f.externalKey ?? "", productID: parts[0], planID: parts[1])
            return "Product mapped."
        }
    }

    static func unmap(_ req: Request) async throws -> Response {
        let mappingID = try req.parameters.require("mappingID", as: Int.self)
        return try await act(req) { ctx, id in
            try await WebshopService.unmap(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, webshopID: id, mappingID: mappingID)
            return "Mapping removed."
        }
    }

    static func enable(_ req: Request) async throws -> Response {
        try await act(req) { ctx, id in
            try await WebshopService.setEnabled(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, enabled: true)
            return "Webshop enabled."
        }
    }

    static func disable(_ req: Request) async throws -> Response {
        try await act(req) { ctx, id in
            try await WebshopService.setEnabled(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, enabled: false)
            return "Webshop disabled: its deliveries are refused."
        }
    }

    static func rotate(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        _ = try await WebshopService.rotateSecret(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        let shop = try await WebshopService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        return try await detailsPage(req, ctx, shop, newSecret: shop.secret)
    }
}
