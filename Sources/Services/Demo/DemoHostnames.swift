import Domain
import FluentKit
import Foundation
import Storage

extension DemoData {
    public static let demoHostname = "tv.demo.example"
    public static let resellerHostname = "tv.reseller.example"
    public static let superHostname = "apps.tvms.example"

    /// The demo's hostnames (issue 10): `tv.demo.example` for the operator, with every sign-in
    /// method and login texts in English and Arabic; `tv.reseller.example` for the postpaid demo
    /// reseller, with its app branding and a console brand of its own; and the super hostname
    /// `apps.tvms.example` whose service ids 1001 and 1002 open those two. Loaded after
    /// `loadResellers`; running it again changes nothing.
    public static func loadHostnames(_ env: ServiceEnvironment) async throws {
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first(),
              try await HostnameModel.query(on: env.db).filter(\.$hostname == demoHostname).first() == nil else { return }
        let actor = Principal.system("demo")
        let id = try d.requireID()
        var main = HostnameService.Input(hostname: demoHostname)
        main.loginTexts = ["en": "Welcome to Demo TV. No account yet? Call +31 35 000 0000 or visit demo.tvms.",
                           "ar": "مرحبًا بك في Demo TV. ليس لديك حساب بعد؟ اتصل على ‎+31 35 000 0000 أو زر demo.tvms."]
        main.disclaimers = ["en": "Demo TV is a demonstration service; programmes are samples.", "ar": "Demo TV خدمة تجريبية؛ البرامج عينات."]
        main.supportEmail = "support@demo.tvms"
        main.supportPhone = "+31 35 000 0000"
        main.supportWebsite = "https://demo.tvms/help"
        main.supportText = "Support is open every day from 9:00 to 21:00."
        main.androidStoreURL = "https://play.google.com/store/apps/details?id=tv.demo.app"
        main.iosStoreURL = "https://apps.apple.com/app/demo-tv/id000000001"
        let operatorHost = try await HostnameService.create(env, actor: actor, deploymentID: id, input: main)

        var hosts = [operatorHost]
        if let reseller = try await ResellerModel.query(on: env.db).filter(\.$deploymentID == id).filter(\.$name == "Demo Postpaid Reseller").first() {
            let rid = try reseller.requireID()
            var branded = HostnameService.Input(hostname: resellerHostname)
            branded.resellerID = rid
            branded.loginTexts = ["en": "Postpaid Reseller TV — your customer number is on your invoice."]
            branded.authMethods = [AuthMethod.password.rawValue, AuthMethod.activationCode.rawValue]
            branded.platforms = [DevicePlatform.web.rawValue, DevicePlatform.android.rawValue, DevicePlatform.tv.rawValue]
            hosts.append(try await HostnameService.create(env, actor: actor, deploymentID: id, input: branded))
            var app = ResellerExtras.BrandingInput(selectionColour: "#0F766E", supportText: "Postpaid Reseller support: +31 20 000 0000")
            app.logo = try DemoArtwork.png(width: 240, height: 80, top: (15, 118, 110), bottom: (8, 60, 56))
            _ = try await ResellerExtras.updateBranding(env, actor: actor, deploymentID: id, resellerID: rid, input: app)
            var console = ConsoleBrandService.Input(name: "Postpaid Reseller Console", primaryColour: "#0F766E",
                                                    supportContact: "help@postpaid-reseller.example", consoleDomain: "console.reseller.example")
            console.logo = app.logo
            _ = try await ConsoleBrandService.saveReseller(env, actor: actor, deploymentID: id, resellerID: rid, input: console)
        }
        let s = try await SuperHostnameService.create(env, actor: actor, hostname: superHostname)
        for (serviceID, host) in zip(["1001", "1002"], hosts) {
            try await SuperHostnameService.addService(env, actor: actor, id: s.requireID(), serviceID: serviceID, hostnameID: host.requireID())
        }
    }
}
