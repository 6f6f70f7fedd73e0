import Domain
import FluentKit
import Foundation
import Storage

extension DemoData {
    public static let demoUIName = "Demo UI"

    /// UIT: Arabic (right-to-left) besides the built-in English, with TVMS's shipped Arabic
    /// texts, and "Demo UI" (Akua) in both languages with a logo. Loaded before the products so
    /// they get it as the deployment's default UI.
    static func loadUIToolkit(_ env: ServiceEnvironment, deploymentID id: UUID) async throws {
        let actor = Principal.system("demo")
        _ = try await TranslationService.addLanguage(env, actor: actor, deploymentID: id, code: "ar", name: "العربية", rtl: true)
        _ = try await TranslationService.loadShipped(env, actor: actor, deploymentID: id, language: "ar")
        let ui = try await UserInterfaceService.create(env, actor: actor, deploymentID: id, name: demoUIName, template: UITemplate.akua.id)
        var config = try UserInterfaceService.decode(ui.config)
        config.languages = ["en", "ar"]
        config.behaviour.startChannel = 1
        // A native app the operator can switch on from Menu Apps; off, so the demo menu shows the sections only.
        config.menu.append(.init(key: "app:weather", enabled: false, labels: ["en": "Weather", "ar": "الطقس"], name: "Weather", packageName: "tv.demo.weather"))
        var input = UserInterfaceService.Input(name: demoUIName, config: config)
        input.logo = try DemoArtwork.png(width: 256, height: 256, top: (229, 9, 20), bottom: (120, 5, 12))
        try await UserInterfaceService.update(env, actor: actor, deploymentID: id, id: ui.requireID(), input: input)
    }
}
