import Domain
import FluentKit
import Foundation
import Storage

extension DemoData {
    /// A small on-demand catalogue: movies (one sold by pay-per-view), a series with two
    /// seasons, an album, a course with levels and lessons, and an app, in packages that the
    /// "Basic Monthly" product holds. Loaded after the channels by `serve --demo` / `tvms demo`.
    public static func loadVoD(_ env: ServiceEnvironment) async throws {
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$cmsService == cmsService).first(),
              try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == d.id!).count() == 0,
              let basic = try await ProductModel.query(on: env.db).filter(\.$deploymentID == d.id!).filter(\.$name == "Basic Monthly").first() else { return }
        let actor = Principal.system("demo")
        let id = try d.requireID()
        let cover = try DemoArtwork.png(width: 200, height: 300, top: (40, 60, 120), bottom: (10, 10, 30))
        let wide = try DemoArtwork.png(width: 320, height: 180, top: (30, 90, 110), bottom: (5, 20, 30))
        let square = try DemoArtwork.png(width: 240, height: 240, top: (120, 40, 90), bottom: (20, 5, 20))
        func save(_ i: VoDService.Input) async throws -> VoDItemModel { try await VoDService.save(env, actor: actor, deploymentID: id, id: nil, input: i) }
        func stream(_ slug: String) -> String { "https://vod.demo.tvms/\(slug)/index.m3u8" }

        // Movies: five by subscription, one rental.
        var movies: [VoDItemModel] = []
        let lineup: [(String, Int, Int, String, Int)] = [
            ("Night Harbour", 1998, 112, "drama, thriller", 12), ("The Long Meadow", 2011, 97, "drama", 0), ("Orbit Nine", 2019, 128, "science fiction, action", 12),
            ("Paper Lanterns", 2007, 89, "animation, family", 0), ("Cold Iron", 2015, 104, "action, crime", 16),
        ]
        for (title, year, minutes, genres, age) in lineup {
            var i = VoDService.Input(kind: .movie, title: title)
            i.year = year; i.durationSeconds = minutes * 60; i.genres = genres; i.ageRating = age; i.streamURL = stream(title.lowercased().replacingOccurrences(of: " ", with: "-"))
            i.description = "\(title) (\(year)), a demo movie."; i.cover = cover; i.wide = wide; i.tokenType = "flussonic"
            movies.append(try await save(i))
        }
        let rental = try await PPVService.saveRule(env, actor: actor, deploymentID: id, section: .movie, id: nil, name: "48h rental", unit: "hours", count: 48)
        var premiere = VoDService.Input(kind: .movie, title: "Premiere Night")
        premiere.year = 2026; premiere.durationSeconds = 121 * 60; premiere.genres = "comedy"; premiere.streamURL = stream("premiere-night")
        premiere.description = "A new release, rented for 48 hours."; premiere.cover = cover; premiere.wide = wide
        premiere.ppvRuleID = rental.id; premiere.prices = ["EUR": 399, "USD": 449]
        _ = try await save(premiere)

        // A series with two seasons of three episodes.
        var series = VoDService.Input(kind: .series, title: "Glass Valley")
        series.year = 2022; series.genres = "drama, mystery"; series.description = "A small town, a lake, and what the ice keeps."; series.cover = cover; series.wide = wide
        let glass = try await save(series)
        for s in 1...2 {
            var season = VoDService.Input(kind: .season, title: "Season \(s)")
            season.parentID = glass.id; season.number = s; season.year = 2021 + s; season.genres = "drama"; season.cover = cover; season.wide = wide
            let sm = try await save(season)
            for e in 1...3 {
                var ep = VoDService.Input(kind: .episode, title: "Episode \(e)")
                ep.parentID = sm.id; ep.number = e; ep.durationSeconds = 2700 + e * 60; ep.streamURL = stream("glass-valley/s\(s)e\(e)"); ep.wide = wide
                _ = try await save(ep)
            }
        }

        // An album with four songs.
        var album = VoDService.Input(kind: .album, title: "Harbour Lights")
        album.year = 2020; album.credits = "The Demo Quartet"; album.genres = "jazz"; album.cover = square
        let lights = try await save(album)
        for (n, song) in ["Low Tide", "Lanterns", "Blue Hour", "Last Ferry"].enumerated() {
            var i = VoDService.Input(kind: .song, title: song)
            i.parentID = lights.id; i.number = n + 1; i.durationSeconds = 200 + n * 17; i.streamURL = "https://vod.demo.tvms/harbour-lights/\(n + 1).m4a"
            _ = try await save(i)
        }

        // A course on a level, with three lessons.
        let beginner = try await CourseLevelService.create(env, actor: actor, deploymentID: id, name: "Beginner")
        _ = try await CourseLevelService.create(env, actor: actor, deploymentID: id, name: "Intermediate")
        _ = try await CourseLevelService.create(env, actor: actor, deploymentID: id, name: "Advanced")
        var course = VoDService.Input(kind: .course, title: "Home Cooking Basics")
        course.year = 2024; course.credits = "Chef Demo"; course.levelID = beginner.id; course.cover = cover; course.wide = wide
        course.description = "Knife skills, stocks and a weeknight dinner."
        let cooking = try await save(course)
        for (n, lesson) in ["Knife skills", "A simple stock", "Weeknight dinner"].enumerated() {
            var i = VoDService.Input(kind: .lesson, title: lesson)
            i.parentID = cooking.id; i.number = n + 1; i.durationSeconds = 900 + n * 120; i.streamURL = stream("home-cooking/\(n + 1)"); i.wide = wide
            _ = try await save(i)
        }

        // An app.
        var app = VoDService.Input(kind: .app, title: "Weather Radar")
        app.description = "Local radar and forecasts."; app.wide = wide
        app.launchAndroid = "com.demo.weatherradar"; app.launchWeb = "https://weather.demo.tvms/"
        let radar = try await save(app)

        // Packages held by Basic Monthly (next to its channel package).
        var granted = try await PackageService.grants(env, productID: basic.id!)
        for (kind, name, items) in [(ContentKind.movie, "Movies", movies.compactMap(\.id)), (.series, "Series", [glass.id!]), (.music, "Music", [lights.id!]),
                                    (.course, "Education", [cooking.id!]), (.app, "Apps", [radar.id!])] {
            let p = try await PackageService.create(env, actor: actor, deploymentID: id, kind: kind, name: name, description: "Demo \(name.lowercased())")
            _ = try await PackageService.add(env, actor: actor, deploymentID: id, packageID: p.id!, items: items)
            granted.append(p.id!)
        }
        try await PackageService.setGrants(env, actor: actor, deploymentID: id, productID: basic.id!, extraPackageID: nil, packages: granted)
    }
}
