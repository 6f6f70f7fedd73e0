import Domain
import FluentKit
import Foundation
import Storage

extension DemoData {
    /// Thirty channels in UI groups and two TV packages: "Basic" (granted by Basic Monthly) and
    /// "Sports" (granted by the Sports extra package). Loaded by `serve --demo` and `tvms demo`.
    public static func loadContent(_ env: ServiceEnvironment) async throws {
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first(),
              try await ChannelModel.query(on: env.db).filter(\.$deploymentID == d.id!).count() == 0,
              let basic = try await ProductModel.query(on: env.db).filter(\.$deploymentID == d.id!).filter(\.$name == "Basic Monthly").first() else { return }
        let actor = Principal.system("demo")
        let id = try d.requireID()
        let lineup: [(String, String, Int)] = [
            ("Demo One", "general", 0), ("Demo Two", "general", 0), ("City News 24", "news", 0), ("World Report", "news", 0), ("Business Today", "news", 0),
            ("Weather Now", "news", 0), ("Kids Club", "kids", 0), ("Cartoon Time", "kids", 0), ("Junior Science", "kids", 0), ("Movie Classics", "movies", 12),
            ("Action Max", "movies", 16), ("Drama House", "movies", 12), ("Comedy Central Demo", "movies", 12), ("Nature World", "documentaries", 0),
            ("History Lane", "documentaries", 0), ("Science Plus", "documentaries", 0), ("Music Hits", "music", 0), ("Jazz Lounge", "music", 0),
            ("Classic FM TV", "music", 0), ("Travel & Food", "general", 0), ("Sports One", "sports", 0), ("Sports Two", "sports", 0), ("Football Live", "sports", 0),
            ("Tennis Court", "sports", 0), ("Motor Racing", "sports", 0), ("Local Channel", "general", 0), ("Parliament TV", "news", 0), ("Shopping Channel", "general", 0),
            ("Late Night", "movies", 18), ("Test Card", "general", 0),
        ]
        var channels: [(ChannelModel, String)] = []
        for (n, (name, genre, age)) in lineup.enumerated() {
            let slug = name.lowercased().replacingOccurrences(of: "&", with: "and").split(whereSeparator: { !$0.isLetter && !$0.isNumber }).joined(separator: "-")
            var input = ChannelService.Input(number: n + 1, name: name)
            input.hlsURL = "https://live.demo.tvms/\(slug)/index.m3u8"
            input.dashURL = "https://live.demo.tvms/\(slug)/manifest.mpd"
            input.genres = genre
            input.tags = genre
            input.ageRating = age
            input.catchupDays = genre == "sports" || genre == "news" ? 7 : 0
            input.tokenType = "flussonic"
            channels.append((try await ChannelService.save(env, actor: actor, deploymentID: id, id: nil, input: input), genre))
        }
        for (name, genre) in [("News", "news"), ("Sports", "sports"), ("Kids", "kids"), ("Movies", "movies"), ("Documentaries", "documentaries"), ("Music", "music"),
                              ("General", "general")] {
            let g = try await UIGroupService.create(env, actor: actor, deploymentID: id, name: name)
            try await UIGroupService.setChannels(env, actor: actor, deploymentID: id, id: g.id!, channels: channels.filter { $0.1 == genre }.map { $0.0.id! })
        }
        let all = try await UIGroupService.create(env, actor: actor, deploymentID: id, name: "All channels")
        try await UIGroupService.setChannels(env, actor: actor, deploymentID: id, id: all.id!, channels: channels.map { $0.0.id! })
        let basicPackage = try await PackageService.create(env, actor: actor, deploymentID: id, kind: .channel, name: "Basic", description: "Everything but sports")
        _ = try await PackageService.add(env, actor: actor, deploymentID: id, packageID: basicPackage.id!, items: channels.filter { $0.1 != "sports" }.map { $0.0.id! })
        let sportsPackage = try await PackageService.create(env, actor: actor, deploymentID: id, kind: .channel, name: "Sports", description: "The sports channels")
        _ = try await PackageService.add(env, actor: actor, deploymentID: id, packageID: sportsPackage.id!, items: channels.filter { $0.1 == "sports" }.map { $0.0.id! })
        try await PackageService.setGrants(env, actor: actor, deploymentID: id, productID: basic.id!, extraPackageID: nil, packages: [basicPackage.id!])
        if let sports = try await ExtraPackageModel.query(on: env.db).filter(\.$productID == basic.id!).filter(\.$name == "Sports").first() {
            try await PackageService.setGrants(env, actor: actor, deploymentID: id, productID: nil, extraPackageID: sports.id!, packages: [sportsPackage.id!])
        }
    }
}
