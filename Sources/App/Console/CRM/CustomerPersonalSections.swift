import Domain
import Foundation
import Services
import Storage
import Vapor

/// CRM › customer › Profiles & reports: the customer's profiles (with the size of their
/// favourites, watchlist and unfinished titles) and the problem reports its apps sent.
enum CustomerPersonalSections {
    static func sections(_ ctx: CRMContext, customerID: Int) async throws -> [Section] {
        let o = try await SubscriberCRMService.overview(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, customerID: customerID)
        let profiles = Section(title: "Profiles", intro: "Made in the customer's apps (at most \(ProfileRules.maxProfiles)). PINs are stored as digests and never shown.",
                               table: .simple(["Name", "Kind", "Age limit", "Locked", "Favourites", "Watchlist", "Started titles"], o.profiles.map { s in
                                   let p = s.profile
                                   let limit = ProfileRules.ratingLimit(kids: p.kids, maxRating: p.maxRating).map { "\($0)+" } ?? "none"
                                   return Row(cells: [Cell(p.name + (p.defaultFor != nil ? " (main)" : "")), Cell(p.kids ? "kids" : "regular", badge: p.kids ? "ok" : "muted"),
                                                      Cell(limit), Cell(p.pinDigest.isEmpty ? "no" : "PIN"), Cell(String(s.favorites), mono: true),
                                                      Cell(String(s.watchlist), mono: true), Cell(String(s.inProgress), mono: true)], actions: [])
                               }, empty: "No profile yet: one is made when an app first lists them."))
        let reports = Section(title: "Problem reports", intro: "Sent from the customer's apps (\"report a problem\"), newest first.",
                              table: .simple(["Received", "Item", "Device", "Description", "Diagnostics"], o.reports.map { r in
                                  Row(cells: [Cell(ctx.dates.string(r.createdAt)), Cell(r.item.isEmpty ? "—" : r.item, mono: true), Cell("#\(r.deviceID)", mono: true),
                                              Cell(r.description, wrap: true), Cell(r.diagnostics == "{}" ? "—" : String(r.diagnostics.prefix(300)), mono: true, wrap: true)],
                                      actions: [])
                              }, empty: "No problem reported."))
        return [profiles, reports]
    }
}
