import Domain
import FluentKit
import Foundation
import Storage

extension DemoData {
    /// The demo's delivery: a Flussonic server (not monitored) that carries every demo channel (so
    /// catch-up and recordings have an archive), Flussonic tokens with a demo secret (the demo channels are
    /// Flussonic-protected), and recordings on the Basic product. Loaded after `loadContent`.
    public static let demoFlussonicSecret = "demo-flussonic-secret"

    public static func loadDelivery(_ env: ServiceEnvironment) async throws {
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first(),
              try await TranscoderModel.query(on: env.db).filter(\.$deploymentID == d.id!).count() == 0 else { return }
        let actor = Principal.system("demo")
        let id = try d.requireID()
        var t = DeliverySettingsService.TranscoderInput()
        t.name = "Demo Flussonic"; t.kind = "flussonic"; t.baseURL = "https://live.demo.tvms"; t.dvrDepthDays = 7; t.archiveForm = "flussonic"
        // Not monitored: the demo's streaming host does not exist, and health checks of it would
        // only wait for DNS every minute. Catch-up and recordings still use its archive form.
        t.enabled = false
        let server = try await DeliverySettingsService.saveTranscoder(env, actor: actor, deploymentID: id, id: nil, input: t)
        for c in try await ChannelModel.query(on: env.db).filter(\.$deploymentID == id).all() {
            let stream = URL(string: c.hlsURL)?.pathComponents.dropFirst().first ?? "channel-\(c.number)"
            _ = try await DeliverySettingsService.map(env, actor: actor, deploymentID: id, channelID: c.id!, transcoderID: server.id!, streamName: stream, dvrDepthDays: 0)
        }
        var token = DeliverySettingsService.TokenInput()
        token.tokenType = "flussonic"; token.secret = demoFlussonicSecret; token.lifetimeSeconds = 3 * 3600; token.bindIP = false
        _ = try await DeliverySettingsService.saveTokenSetting(env, actor: actor, deploymentID: id, input: token)
        try await ProductModel.query(on: env.db).filter(\.$deploymentID == id).filter(\.$name == "Basic Monthly").set(\.$pvrQuotaHours, to: 20).update()
    }
}
