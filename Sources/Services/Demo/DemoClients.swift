import Domain
import FluentKit
import Foundation
import Storage

extension DemoData {
    /// The Xtream / M3U demo subscriber (README: what to put into an IPTV player).
    public static let xtreamLogin = "demo01"
    public static let xtreamPassword = "demo1234"
    /// Channels with a demo guide made in the EPG Builder, both with 7 days of catch-up and in
    /// the Basic package.
    /// (Not the channels the EPG console's end-to-end test links and unlinks itself.)
    public static let guideChannels = ["Business Today", "Parliament TV"]

    /// For the client dialects: `demo01` on "Basic Monthly" (the demo channels, movies, the
    /// series, catch-up), and a guide around the moment the demo is loaded — half-hour
    /// programmes on the guide channels from a week back to two weeks ahead, as weekly slots in
    /// the deployment's zone — so `get_short_epg`, catch-up and `xmltv.php` have something to
    /// show at once. Loaded after `loadDelivery`; running it again changes nothing.
    public static func loadClients(_ env: ServiceEnvironment) async throws {
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first(),
              let basic = try await ProductModel.query(on: env.db).filter(\.$deploymentID == d.id!).filter(\.$name == "Basic Monthly").first(),
              let month = try await PaymentPlanModel.query(on: env.db).filter(\.$productID == basic.id!).filter(\.$name == "1 month").first(),
              try await CustomerModel.query(on: env.db).filter(\.$deploymentID == d.id!).filter(\.$login == xtreamLogin).first() == nil else { return }
        let actor = Principal.system("demo")
        let id = try d.requireID()
        var c = CustomerService.Contact()
        c.firstName = "Demo"; c.lastName = "Player"; c.city = "Utrecht"; c.country = "NL"; c.email = "demo01@example.com"
        var n = CustomerService.NewCustomer(productID: try basic.requireID(), planID: try month.requireID(), currency: "EUR", contact: c)
        n.login = xtreamLogin
        n.password = xtreamPassword
        _ = try await CustomerService.create(env, actor: actor, deploymentID: id, input: n)

        let zone = TimeZone(identifier: d.timeZone) ?? TimeZone(identifier: "UTC")!
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let first = cal.dateComponents([.year, .month, .day], from: env.now.addingTimeInterval(-7 * 86_400))
        let shows = [
            "Business Today": ["Markets Overnight", "Early Trading", "Opening Bell", "Business Hour", "Company Reports", "Closing Bell", "The Economy Tonight", "Global Markets"],
            "Parliament TV": ["Committee Replay", "Morning Session", "Question Time", "Plenary Debate", "Committee Hearing", "Afternoon Session", "The Week in Parliament", "Late Sitting"],
        ]
        for name in guideChannels {
            guard let channel = try await ChannelModel.query(on: env.db).filter(\.$deploymentID == id).filter(\.$name == name).first(),
                  let titles = shows[name] else { continue }
            for slot in 0..<48 {
                let hour = slot / 2, minute = slot % 2 * 30
                var s = EPGBuilderService.Slot(title: titles[hour / 3], day: first, hour: hour, minute: minute, durationMinutes: 30)
                s.description = "\(titles[hour / 3]) on \(name), \(String(format: "%02d:%02d", hour, minute)): the demo guide for Xtream players and catch-up."
                s.category = "News"
                s.weekdays = Set(1...7)
                s.weeks = 3
                _ = try await EPGBuilderService.add(env, actor: actor, deploymentID: id, channelID: channel.requireID(), slot: s)
            }
        }
    }
}
