import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Channels › EPG Builder (programmes by hand, single or weekly) and EPG Overview
/// (per channel: its guide, programmes per day for the coming week, gaps, coverage).
enum EPGBuilderController {
    static func register(_ console: any RoutesBuilder) {
        let e = console.grouped("cms", "epg").grouped(RequirePermission(permission: .cms))
        e.get("builder", use: builder)
        e.post("builder", use: add)
        e.post("builder", "programmes", ":programme", "delete", use: delete)
        e.get("overview", use: overview)
    }

    static let weekdays = [(2, "Mon"), (3, "Tue"), (4, "Wed"), (5, "Thu"), (6, "Fri"), (7, "Sat"), (1, "Sun")]

    struct SlotForm: Content {
        var channel: Int?; var title: String?; var description: String?; var category: String?; var date: String?; var time: String?
        var duration: String?; var weekdays: [Int]?; var weeks: String?
    }

    static func form(_ f: SlotForm, channelID: Int) -> FormVM {
        FormVM(heading: "", intro: "Times are in the deployment's time zone. Tick weekdays to repeat the slot every week (for the number of weeks); leave them unticked for one programme on the date.",
               action: "/cms/epg/builder", fields: [
            Field("channel", "", type: "hidden", value: String(channelID)),
            Field("title", "Title", value: f.title ?? "", required: true),
            Field("description", "Description", type: "textarea", value: f.description ?? ""),
            Field("category", "Category", value: f.category ?? ""),
            Field("date", "Date (YYYY-MM-DD)", value: f.date ?? "", required: true),
            Field("time", "Start (HH:MM)", value: f.time ?? "20:00", required: true),
            Field("duration", "Duration (minutes)", type: "number", value: f.duration ?? "60", required: true),
            Field("weekdays[]", "Repeat on", type: "checkboxes", options: weekdays.map { FieldOption(value: String($0.0), label: $0.1, selected: f.weekdays?.contains($0.0) == true) }),
            Field("weeks", "For how many weeks", type: "number", value: f.weeks ?? "1"),
        ], submitLabel: "Add to the guide", cancelHref: nil, formError: nil)
    }

    static func builder(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await render(req, ctx, channelID: req.query[Int.self, at: "channel"], form: nil)
    }

    static func render(_ req: Request, _ ctx: CRMContext, channelID: Int?, form vm: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let channels = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).sort(\.$number).limit(5000).all()
        var sections = [Section(title: nil, table: TableVM(heading: "", intro: nil, buttons: [], filters: [
            Filter(name: "channel", label: "Channel", type: "select", value: "", options: channels.map { FilterOption(value: String($0.id!), label: "\($0.number) \($0.name)", selected: $0.id == channelID) })],
                                                          filterAction: "/cms/epg/builder", columns: [], rows: [], emptyText: "", pager: Pager(summary: "", prevHref: nil, nextHref: nil)))]
        if let channelID, let c = channels.first(where: { $0.id == channelID }) {
            let list = try await EPGBuilderService.programmes(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, channel: c, from: ctx.env.now.addingTimeInterval(-86_400))
            let linkedElsewhere = c.epgSourceID != nil && !c.epgChannelID.hasPrefix("builder-")
            sections.append(Section(title: "\(c.number) \(c.name) — programmes made here",
                                    intro: linkedElsewhere ? "This channel takes its guide from another source; programmes made here are kept but not shown until you link it to the builder (EPG matching)." : nil,
                                    table: .simple(["Start", "End", "Title", "Category"], list.map { p in
                                        Row(cells: [Cell(ctx.dates.string(p.start)), Cell(ctx.dates.string(p.stop)), Cell(p.title), Cell(p.categories)],
                                            actions: [RowAction(label: "Delete", href: nil, postTo: "/cms/epg/builder/programmes/\(p.id!)/delete?channel=\(channelID)", danger: true)])
                                    }, empty: "Nothing made by hand yet.")))
            sections.append(Section(title: "Add a programme or a weekly slot", form: vm ?? form(SlotForm(date: ctx.dates.dateString(ctx.env.now)), channelID: channelID)))
        }
        let page = SectionsVM(heading: "EPG Builder", intro: "Programmes by hand for channels without a feed. They are stored like imported ones and appear in every guide output.",
                              buttons: [Button(label: "EPG Urls", href: "/cms/epg", primary: false), Button(label: "EPG Overview", href: "/cms/epg/overview", primary: false)],
                              tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "EPG Builder", page, status: status)
    }

    static func add(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(SlotForm.self)
        guard let channelID = f.channel else { throw DomainError.validation(["channel": "choose a channel"]) }
        do {
            let dateParts = (f.date ?? "").split(separator: "-").compactMap { Int($0) }
            let timeParts = (f.time ?? "").split(separator: ":").compactMap { Int($0) }
            guard dateParts.count == 3 else { throw DomainError.validation(["date": "must be a date like 2026-11-30"]) }
            guard timeParts.count == 2 else { throw DomainError.validation(["time": "must be a time like 20:15"]) }
            let weeksText = (f.weeks ?? "").trimmingCharacters(in: .whitespaces)
            guard let duration = Int(f.duration ?? ""), let weeks = Int(weeksText.isEmpty ? "1" : weeksText) else {
                throw DomainError.validation(["duration": "must be a number of minutes"])
            }
            var slot = EPGBuilderService.Slot(title: f.title ?? "", day: DateComponents(year: dateParts[0], month: dateParts[1], day: dateParts[2]),
                                              hour: timeParts[0], minute: timeParts[1], durationMinutes: duration)
            slot.description = f.description ?? ""
            slot.category = f.category ?? ""
            slot.weekdays = Set(f.weekdays ?? [])
            slot.weeks = weeks
            let n = try await EPGBuilderService.add(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, channelID: channelID, slot: slot)
            req.flash(.success, "\(n) programme(s) added.")
            return req.redirect(to: "/cms/epg/builder?channel=\(channelID)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            var vm = form(f, channelID: channelID)
            vm.apply(e)
            return try await render(req, ctx, channelID: channelID, form: vm, status: .unprocessableEntity)
        }
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let channel = req.query[Int.self, at: "channel"]
        return try await req.flashing(redirectTo: "/cms/epg/builder" + (channel.map { "?channel=\($0)" } ?? "")) {
            try await EPGBuilderService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, programmeID: try req.parameters.require("programme", as: Int.self))
            return "Programme deleted."
        }
    }

    /// One row per channel (100 per page, by number): its guide, programmes on each of the next
    /// seven days, gaps of more than five minutes in that week, and how far ahead it reaches.
    static func overview(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let after = req.query[Int.self, at: "after"] ?? 0
        let page = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$number > after).sort(\.$number).limit(101).all()
        let channels = Array(page.prefix(100))
        let summary = try await EPGOverview.summarise(ctx.env, channels: channels, zone: TimeZone(identifier: ctx.deployment.timeZone) ?? TimeZone(identifier: "UTC")!)
        let sources = Dictionary(uniqueKeysWithValues: try await EPGSourceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map { ($0.id!, $0.name) })
        let rows = channels.map { c -> Row in
            let s = summary[c.id!]
            return Row(cells: [Cell(String(c.number), mono: true), Cell(c.name),
                               Cell(c.epgSourceID.map { "\(sources[$0] ?? "?") · \(c.epgChannelID)" + (c.epgShiftMinutes == 0 ? "" : " (\(c.epgShiftMinutes) min)") } ?? "N/A", badge: c.epgSourceID == nil ? "muted" : nil),
                               Cell(s.map { $0.perDay.map(String.init).joined(separator: " · ") } ?? "—", mono: true),
                               Cell(s.map { "\($0.gaps)" } ?? "—", badge: (s?.gaps ?? 0) > 0 ? "danger" : nil),
                               Cell(s?.until.map(ctx.dates.string) ?? "—")], actions: [])
        }
        let vm = SectionsVM(heading: "EPG Overview", intro: "Programmes per day for the next seven days (today first, deployment time), gaps longer than five minutes in that week, and the last programme. N/A: no guide linked; the apps show the gap text there.",
                            buttons: EPGGridController.overviewButtons, tabs: EPGGridController.tabs(active: "coverage"),
                            sections: [Section(title: nil, table: { () -> TableVM in
                                var t = TableVM.simple(["No.", "Channel", "Guide", "Next 7 days", "Gaps", "Until"], rows, empty: "No channel yet.")
                                t.pager = Pager(summary: "", prevHref: after > 0 ? "/cms/epg/overview" : nil, nextHref: page.count > 100 ? "/cms/epg/overview?after=\(channels.last!.number)" : nil)
                                return t
                            }())])
        return try await Layout.render(req, "sections", title: "EPG Overview", vm)
    }
}
