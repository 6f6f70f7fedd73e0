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
        try await loadUIToolkit(env, deploymentID: d.requireID())
        try await loadCRM(env, deploymentID: d.requireID())
        return .loaded
    }

    public static let subscriberLogin = "demoviewer"
    public static let subscriberPassword = "demo1234"

    /// Currencies, the "Basic Monthly" product of the walkthrough (1 month at 9.99 EUR or 10
    /// credits, 3 devices), a 7-day trial, a Sports extra package and three direct customers.
    static func loadCRM(_ env: ServiceEnvironment, deploymentID id: UUID) async throws {
        let actor = Principal.system("demo")
        _ = try await CurrencyService.add(env, actor: actor, deploymentID: id, code: "USD", name: nil, symbol: nil)
        _ = try await CurrencyService.add(env, actor: actor, deploymentID: id, code: "CREDITS", name: nil, symbol: nil)
        let basic = try await ProductService.create(env, actor: actor, deploymentID: id, input: .init(
            name: "Basic Monthly", mappingID: "basic-monthly", subscriptionType: "regular", paymentType: "subscription",
            maxDevices: 3, defaultCurrency: "EUR", supportText: "Questions? Mail support@demo.tvms."))
        let month = try await ProductService.addPlan(env, actor: actor, deploymentID: id, productID: basic.requireID(), input: .init(
            name: "1 month", length: 1, unit: "months", prices: ["EUR": "9.99", "USD": "10.99"], creditsPrice: "10"))
        _ = try await ProductService.addPlan(env, actor: actor, deploymentID: id, productID: basic.requireID(), input: .init(
            name: "12 months", length: 12, unit: "months", prices: ["EUR": "99.00", "USD": "109.00"], creditsPrice: "100"))
        let sports = try await ProductService.addExtraPackage(env, actor: actor, deploymentID: id, productID: basic.requireID(), name: "Sports", mappingID: "sports")
        _ = try await ProductService.addPlan(env, actor: actor, deploymentID: id, productID: basic.requireID(), extraPackageID: sports.requireID(), input: .init(
            name: "Sports 1 month", length: 1, unit: "months", prices: ["EUR": "4.99"], creditsPrice: "5"))
        _ = try await ProductService.addOption(env, actor: actor, deploymentID: id, productID: basic.requireID(), kind: .catchup, name: "7 days catch-up", amount: 7)
        let trial = try await ProductService.create(env, actor: actor, deploymentID: id, input: .init(
            name: "Free Trial", subscriptionType: "trial", paymentType: "subscription", maxDevices: 1, defaultCurrency: "EUR"))
        _ = try await ProductService.addPlan(env, actor: actor, deploymentID: id, productID: trial.requireID(), input: .init(
            name: "7 days", length: 7, unit: "days", prices: ["EUR": "0"]))
        let people: [(String, String, String, String)] = [("Anna", "de Vries", "Amsterdam", subscriberLogin), ("Marco", "Rossi", "Rome", ""), ("Lena", "Schmidt", "Berlin", "")]
        for (first, last, city, login) in people {
            var c = CustomerService.Contact()
            c.firstName = first; c.lastName = last; c.city = city
            c.country = ["Amsterdam": "NL", "Rome": "IT", "Berlin": "DE"][city]!
            c.email = "\(first.lowercased())@example.com"
            var n = CustomerService.NewCustomer(productID: try basic.requireID(), planID: try month.requireID(), currency: "EUR", contact: c)
            n.login = login
            n.password = login.isEmpty ? "" : subscriberPassword
            _ = try await CustomerService.create(env, actor: actor, deploymentID: id, input: n)
        }
    }

    public static let postpaidResellerEmail = "postpaid@demo.tvms"
    public static let prepaidResellerEmail = "prepaid@demo.tvms"
    public static let resellerPassword = "demo1234"

    /// The demo resellers (loaded by `tvms demo` and `tvms serve --demo` after `load`): a postpaid
    /// one with 100 credits left and a prepaid one with an open order of 10 units, each with three
    /// customers of its own, so the portal and the isolation between resellers show at once.
    public static func loadResellers(_ env: ServiceEnvironment) async throws {
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first(),
              try await ResellerModel.query(on: env.db).filter(\.$deploymentID == d.id!).count() == 0,
              let basic = try await ProductModel.query(on: env.db).filter(\.$deploymentID == d.id!).filter(\.$name == "Basic Monthly").first(),
              let month = try await PaymentPlanModel.query(on: env.db).filter(\.$productID == basic.id!).filter(\.$name == "1 month").first() else { return }
        let actor = Principal.system("demo")
        let id = try d.requireID()
        func sale(_ name: String) -> CustomerService.NewCustomer {
            var n = CustomerService.NewCustomer(productID: basic.id!, planID: month.id!, currency: "EUR")
            n.contact.lastName = name
            return n
        }
        let post = try await ResellerService.create(env, actor: actor, deploymentID: id, input: .init(name: "Demo Postpaid Reseller", type: .postpaid))
        try await ResellerService.assign(env, actor: actor, deploymentID: id, resellerID: post.requireID(), productID: basic.requireID(), planID: month.requireID(), discountPercent: "10")
        try await ResellerService.setLogin(env, actor: actor, deploymentID: id, id: post.requireID(), email: postpaidResellerEmail, password: resellerPassword)
        _ = try await ResellerLedger.adjustCredits(env, actor: actor, deploymentID: id, resellerID: post.requireID(), amount: 127, reason: "demo opening balance")
        for i in 1...3 { _ = try await ResellerLedger.sell(env, actor: actor, deploymentID: id, resellerID: post.requireID(), input: sale("Postpaid customer \(i)")) }

        var prepaidInput = ResellerService.Input(name: "Demo Prepaid Reseller", type: .prepaid)
        prepaidInput.currency = "EUR"
        let pre = try await ResellerService.create(env, actor: actor, deploymentID: id, input: prepaidInput)
        try await ResellerService.assign(env, actor: actor, deploymentID: id, resellerID: pre.requireID(), productID: basic.requireID(), planID: month.requireID(), discountPercent: "0")
        try await ResellerService.setLogin(env, actor: actor, deploymentID: id, id: pre.requireID(), email: prepaidResellerEmail, password: resellerPassword)
        _ = try await ResellerLedger.placeOrder(env, actor: actor, deploymentID: id, resellerID: pre.requireID(), planID: month.requireID(), quantity: 3, unitPrice: 800, currency: "EUR", paid: true)
        for i in 1...3 { _ = try await ResellerLedger.sell(env, actor: actor, deploymentID: id, resellerID: pre.requireID(), input: sale("Prepaid customer \(i)")) }
        _ = try await ResellerLedger.placeOrder(env, actor: actor, deploymentID: id, resellerID: pre.requireID(), planID: month.requireID(), quantity: 10, unitPrice: 800, currency: "EUR", paid: true)

        // The postpaid reseller may sell the Sports add-on (at its plan's 5 credits, 10 % off).
        if let sports = try await ExtraPackageModel.query(on: env.db).filter(\.$productID == basic.id!).filter(\.$name == "Sports").first() {
            try await ResellerExtras.mapExtraPackage(env, actor: actor, deploymentID: id, resellerID: post.requireID(), extraPackageID: sports.requireID(),
                                                     creditsPrice: "", discountPercent: "10")
        }
        try await loadStock(env, deploymentID: id, actor: actor)
    }

    /// A dealer, a set-top-box model and five boxes in stock, ready to assign to a customer.
    static func loadStock(_ env: ServiceEnvironment, deploymentID id: UUID, actor: Principal) async throws {
        var dealer = StockService.DealerInput(name: "Demo Box Distribution")
        dealer.contact = "Piet Jansen"
        dealer.email = "boxes@example.com"
        let d = try await StockService.saveDealer(env, actor: actor, deploymentID: id, id: nil, input: dealer)
        let model = try await StockService.createModel(env, actor: actor, deploymentID: id, name: "MAG 524", vendor: "Infomir", kind: "stb")
        let rows = (1...5).map { i in (line: i, fields: [String(format: "00:1A:79:00:00:%02X", i), "DEMO-524-\(i)"]) }
        _ = try await StockService.importCSV(env, actor: actor, deploymentID: id, rows: rows, defaultModelID: model.requireID(), defaultDealerID: d.requireID())
    }

    public static var loginsText: String {
        """
        Demo logins (demo mode only):
          Console owner:     \(ownerEmail) / \(ownerPassword)
          Deployment:        cmsService=\(cmsService) crmService=\(crmService)
          Business API:      authToken=\(authToken)
          Subscriber:        \(subscriberLogin) / \(subscriberPassword)
          IPTV players:      \(xtreamLogin) / \(xtreamPassword) (Xtream Codes: this server's address; M3U: /get.php?username=\(xtreamLogin)&password=\(xtreamPassword)&type=m3u_plus)
          Resellers:         \(postpaidResellerEmail) / \(resellerPassword) (postpaid, 100 credits)
                             \(prepaidResellerEmail) / \(resellerPassword) (prepaid, order of 10 units)
        """
    }
}
