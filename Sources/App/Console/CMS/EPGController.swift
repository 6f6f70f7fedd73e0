import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Channels › EPG Urls: guide sources, their imports (by URL in the background, or an
/// uploaded file now) and run history, and the channels each guide describes.
enum EPGController {
    static func register(_ console: any RoutesBuilder) {
        let e = console.grouped("cms", "epg").grouped(RequirePermission(permission: .cms))
        e.get(use: list)
        e.post(use: create)
        e.get(":id", use: show)
        e.post(":id", use: update)
        e.post(":id", "refresh", use: refresh)
        e.get(":id", "delete", use: confirmDelete)
        e.post(":id", "delete", use: delete)
        e.on(.POST, ":id", "upload", body: .collect(maxSize: "200mb"), use: upload)
        e.get("matching", use: matching)
        e.post("matching", "run", use: runMatching)
        e.post("matching", "link", use: manualLink)
        e.post("matching", ":suggestion", "accept", use: accept)
        e.post("matching", ":suggestion", "reject", use: reject)
        e.post("matching", "channels", ":channel", "clear", use: clearLink)
        e.post("matching", "aliases", ":alias", "forget", use: forgetAlias)
    }

    // MARK: Matching

    static func matching(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let pending = try await EPGMatching.pending(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let channels = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).sort(\.$number).limit(5000).all()
        let byChannel = Dictionary(uniqueKeysWithValues: channels.map { ($0.id!, $0) })
        let guides = try await EPGMatching.guideChannels(ctx.env, deploymentID: ctx.deploymentID)
        let guideByID = Dictionary(uniqueKeysWithValues: guides.map { ($0.id!, $0) })
        let sources = Dictionary(uniqueKeysWithValues: try await EPGSourceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map { ($0.id!, $0.name) })
        let review = pending.compactMap { p -> Row? in
            guard let c = byChannel[p.channelID], let g = guideByID[p.epgChannelID] else { return nil }
            return Row(cells: [Cell("\(c.number) \(c.name)"), Cell("\(g.displayName) (\(g.externalID), \(sources[g.sourceID] ?? ""))"), Cell("\(Int(p.confidence * 100)) %")],
                       actions: [RowAction(label: "Accept", href: nil, postTo: "/cms/epg/matching/\(p.id!)/accept", danger: false),
                                 RowAction(label: "Reject", href: nil, postTo: "/cms/epg/matching/\(p.id!)/reject", danger: true)])
        }
        let linked = channels.filter { $0.epgSourceID != nil }.map { c in
            Row(cells: [Cell("\(c.number) \(c.name)"), Cell("\(c.epgChannelID) (\(sources[c.epgSourceID!] ?? "?"))", mono: true), Cell(c.epgShiftMinutes == 0 ? "—" : "\(c.epgShiftMinutes) min")],
                actions: [RowAction(label: "Clear link", href: nil, postTo: "/cms/epg/matching/channels/\(c.id!)/clear", danger: true)])
        }
        let remembered = try await EPGMatching.aliases(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map { a in
            Row(cells: [Cell(a.alias), Cell(a.externalID, mono: true)],
                actions: [RowAction(label: "Forget", href: nil, postTo: "/cms/epg/matching/aliases/\(a.id!)/forget", danger: true)])
        }
        let unlinked = channels.filter { $0.epgSourceID == nil }.count
        let vm = SectionsVM(heading: "EPG matching", intro: "Run matching to link channels by their EPG id, a name you confirmed before, or the same name. Close names are only proposed: accept or reject them below. A manual link always wins. \(unlinked) channel(s) without a guide.",
                            buttons: [Button(label: "EPG Urls", href: "/cms/epg", primary: false)], tabs: [],
                            sections: [
                                Section(title: nil, actions: [RowAction(label: "Run matching", href: nil, postTo: "/cms/epg/matching/run", danger: false)]),
                                Section(title: "To review", table: .simple(["Channel", "Guide channel", "Confidence"], review, empty: "Nothing to review.")),
                                Section(title: "Link by hand", form: FormVM(heading: "", intro: "Also sets the channel's own time shift (on top of the guide's).", action: "/cms/epg/matching/link", fields: [
                                    Field("channel", "Channel", type: "select", options: [FieldOption(value: "", label: "Choose a channel", selected: true)]
                                          + channels.map { FieldOption(value: String($0.id!), label: "\($0.number) \($0.name)", selected: false) }),
                                    Field("guide", "Guide channel", type: "select", options: [FieldOption(value: "", label: "Choose a guide channel", selected: true)] + guides.prefix(5000).map {
                                        FieldOption(value: String($0.id!), label: "\($0.displayName) — \($0.externalID) (\(sources[$0.sourceID] ?? ""))", selected: false) }),
                                    Field("shift", "Time shift (minutes)", type: "number", value: "0"),
                                ], submitLabel: "Link", cancelHref: nil, formError: nil)),
                                Section(title: "Linked channels", table: .simple(["Channel", "Guide channel", "Shift"], linked, empty: "No channel is linked yet.")),
                                Section(title: "Remembered names", intro: "Names you confirmed by accepting a proposal: matching links a channel of that name (case, accents and HD/4K ignored) to that guide channel id. Forgetting one keeps the links it made.",
                                        table: .simple(["Channel name", "Guide channel id"], remembered, empty: "No name remembered yet.")),
                            ])
        return try await Layout.render(req, "sections", title: "EPG matching", vm)
    }

    static func runMatching(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/epg/matching") {
            let r = try await EPGMatching.run(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
            return "Linked \(r.linked.count) channel(s); \(r.suggested) to review."
        }
    }

    struct LinkForm: Content { var channel: String?; var guide: String?; var shift: String? }

    static func manualLink(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(LinkForm.self)
        return try await req.flashing(redirectTo: "/cms/epg/matching") {
            guard let channel = Int(f.channel ?? ""), let guide = Int(f.guide ?? "") else { throw DomainError.validation(["channel": "choose a channel and a guide channel"]) }
            guard let shift = Int((f.shift ?? "0").isEmpty ? "0" : (f.shift ?? "0")) else { throw DomainError.validation(["shift": "must be a whole number of minutes"]) }
            try await EPGMatching.link(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, channelID: channel, epgChannelID: guide, shiftMinutes: shift)
            return "Linked."
        }
    }

    static func accept(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/epg/matching") {
            try await EPGMatching.accept(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, suggestionID: try req.parameters.require("suggestion", as: Int.self))
            return "Linked; the name is remembered for next time."
        }
    }

    static func reject(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/epg/matching") {
            try await EPGMatching.reject(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, suggestionID: try req.parameters.require("suggestion", as: Int.self))
            return "Rejected; it will not be proposed again."
        }
    }

    static func forgetAlias(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/epg/matching") {
            let a = try await EPGMatching.forgetAlias(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, aliasID: try req.parameters.require("alias", as: Int.self))
            return "“\(a.alias)” forgotten: matching no longer links that name to \(a.externalID)."
        }
    }

    static func clearLink(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/epg/matching") {
            try await EPGMatching.clear(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, channelID: try req.parameters.require("channel", as: Int.self))
            return "Link cleared."
        }
    }

    struct SourceForm: Content {
        var name: String?; var url: String?; var zone: String?; var timeShiftMinutes: String?; var refreshHour: String?; var retentionDays: String?; var enabled: String?
        var priority: String?
    }

    static func fields(_ f: SourceForm) -> [Field] {
        [Field("name", "Name", value: f.name ?? "", required: true),
         Field("url", "XMLTV URL", value: f.url ?? "", help: "http(s), .xml or .xml.gz. Leave empty for a source you fill by uploading files."),
         Field("zone", "Time zone of times without an offset", value: f.zone ?? "UTC", help: "XMLTV says UTC; some feeds mean local time (e.g. Europe/Amsterdam)."),
         Field("timeShiftMinutes", "Time shift (minutes)", type: "number", value: f.timeShiftMinutes ?? "0", help: "Added to every programme, e.g. 60 for a feed an hour early."),
         Field("refreshHour", "Daily refresh at (hour, deployment time)", type: "number", value: f.refreshHour ?? "4", help: "0–23; empty for by hand only."),
         Field("retentionDays", "Keep past programmes (days)", type: "number", value: f.retentionDays ?? "7", help: "At least the longest catch-up of the linked channels is kept."),
         Field("priority", "Priority", type: "number", value: f.priority ?? "0",
               help: "0–100. When several guides have a channel of the same name, matching takes the guide with the highest priority, then the one with more programmes for it; still equal, it asks you."),
         Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? "on")]
    }

    static func input(_ f: SourceForm) throws -> EPGSourceService.Input {
        func text(_ v: String?) -> String { (v ?? "").trimmingCharacters(in: .whitespaces) }
        var i = EPGSourceService.Input(name: f.name ?? "")
        i.url = text(f.url)
        i.zone = text(f.zone).isEmpty ? "UTC" : text(f.zone)
        guard let shift = Int(text(f.timeShiftMinutes).isEmpty ? "0" : text(f.timeShiftMinutes)) else { throw DomainError.validation(["timeShiftMinutes": "must be a whole number of minutes"]) }
        i.timeShiftMinutes = shift
        if text(f.refreshHour).isEmpty { i.refreshHour = nil }
        else if let h = Int(text(f.refreshHour)) { i.refreshHour = h } else { throw DomainError.validation(["refreshHour": "must be an hour from 0 to 23"]) }
        guard let days = Int(text(f.retentionDays).isEmpty ? "7" : text(f.retentionDays)) else { throw DomainError.validation(["retentionDays": "must be a number of days"]) }
        i.retentionDays = days
        guard let priority = Int(text(f.priority).isEmpty ? "0" : text(f.priority)) else { throw DomainError.validation(["priority": "must be a whole number from 0 to 100"]) }
        i.priority = priority
        i.enabled = Bool(checkbox: f.enabled)
        return i
    }

    static func runCells(_ r: EPGImportModel?, _ ctx: CRMContext) -> [Cell] {
        guard let r else { return [Cell("never", badge: "muted"), Cell("—")] }
        let badge = ["ok": "ok", "unchanged": "ok", "running": "muted", "failed": "danger"][r.status] ?? "muted"
        return [Cell(r.status, badge: badge), Cell("\(ctx.dates.string(r.startedAt)) · \(r.message)")]
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await renderList(req, ctx, form: nil)
    }

    static func renderList(_ req: Request, _ ctx: CRMContext, form: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let sources = try await EPGSourceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var rows: [Row] = []
        for s in sources {
            let last = try await EPGSourceService.runs(ctx.env, sourceID: s.id!, limit: 1).first
            let channels = try await EPGChannelModel.query(on: req.db).filter(\.$sourceID == s.id!).count()
            rows.append(Row(cells: [Cell(s.name, href: "/cms/epg/\(s.id!)"), Cell(s.url.isEmpty ? "uploads" : s.url, mono: true), Cell("\(channels)")] + runCells(last, ctx) + [Cell("\(s.priority)")],
                            actions: [RowAction(label: "Open", href: "/cms/epg/\(s.id!)", postTo: nil, danger: false),
                                      RowAction(label: "Delete", href: "/cms/epg/\(s.id!)/delete", postTo: nil, danger: true)]))
        }
        let vm = SectionsVM(heading: "EPG Urls", intro: "XMLTV guides, imported from their URL every day at the chosen hour or from uploaded files. A new import replaces what the file covers; past programmes it does not cover stay for catch-up. A failed import keeps the previous guide.",
                            buttons: [Button(label: "EPG matching", href: "/cms/epg/matching", primary: true), Button(label: "EPG Overview", href: "/cms/epg/overview", primary: false),
                                      Button(label: "EPG Builder", href: "/cms/epg/builder", primary: false), Button(label: "XMLTV export", href: "/cms/epg/export", primary: false),
                                      Button(label: "Channels", href: "/cms/channels", primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["Source", "URL", "Channels", "Last run", "", "Priority"], rows, empty: "No guide yet.")),
                                       Section(title: "Add a guide", form: form ?? FormVM(heading: "", intro: nil, action: "/cms/epg", fields: fields(SourceForm()),
                                                                                         submitLabel: "Add guide", cancelHref: nil, formError: nil))])
        return try await Layout.render(req, "sections", title: "EPG Urls", vm, status: status)
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(SourceForm.self)
        do {
            let s = try await EPGSourceService.save(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: try input(f))
            req.flash(.success, "\(s.name) added." + (s.url.isEmpty ? " Upload a guide file below." : " Import it now, or wait for the daily refresh."))
            return req.redirect(to: "/cms/epg/\(s.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = FormVM(heading: "", intro: nil, action: "/cms/epg", fields: fields(f), submitLabel: "Add guide", cancelHref: nil, formError: nil)
            vm.apply(e)
            return try await renderList(req, ctx, form: vm, status: .unprocessableEntity)
        }
    }

    static func show(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let s = try await EPGSourceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await renderSource(req, ctx, s, form: nil)
    }

    static func renderSource(_ req: Request, _ ctx: CRMContext, _ s: EPGSourceModel, form: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let runs = try await EPGSourceService.runs(ctx.env, sourceID: s.id!)
        let channels = try await EPGChannelModel.query(on: req.db).filter(\.$sourceID == s.id!).sort(\.$displayName).limit(1000).all()
        let f = SourceForm(name: s.name, url: s.url, zone: s.zone, timeShiftMinutes: String(s.timeShiftMinutes), refreshHour: s.refreshHour.map(String.init) ?? "",
                           retentionDays: String(s.retentionDays), enabled: s.enabled ? "on" : nil, priority: String(s.priority))
        var actions: [RowAction] = []
        if !s.url.isEmpty { actions.append(RowAction(label: "Import now", href: nil, postTo: "/cms/epg/\(s.id!)/refresh", danger: false)) }
        actions.append(RowAction(label: "Delete guide", href: "/cms/epg/\(s.id!)/delete", postTo: nil, danger: true))
        let history = runs.map { r in
            Row(cells: [Cell(ctx.dates.string(r.startedAt))] + runCells(r, ctx).prefix(1) + [Cell(r.message), Cell("\(r.channels)"), Cell("\(r.programmes)"),
                        Cell(r.finishedAt.map { String(format: "%.1f s", $0.timeIntervalSince(r.startedAt)) } ?? "…"),
                        Cell(r.warnings.replacingOccurrences(of: "\n", with: "; "))], actions: [])
        }
        let vm = SectionsVM(heading: "EPG source — \(s.name)", intro: s.url.isEmpty ? "Filled by uploaded files." : "From \(s.url)" + (s.refreshHour.map { ", every day at \($0):00 (deployment time)." } ?? ", by hand."),
                            buttons: [Button(label: "EPG Urls", href: "/cms/epg", primary: false)], tabs: [],
                            sections: [
                                Section(title: nil, actions: actions),
                                Section(title: "Upload a guide file", form: FormVM(heading: "", intro: "XMLTV, plain or gzip, up to 200 MB here; larger guides import from a URL or with the command tvms epg import --file.",
                                                                                   action: "/cms/epg/\(s.id!)/upload", fields: [Field("file", "File", type: "file", required: true)],
                                                                                   submitLabel: "Import file", cancelHref: nil, formError: nil, multipart: true)),
                                Section(title: "Runs", table: .simple(["Started", "Status", "Result", "Channels", "Programmes", "Took", "Warnings"], history, empty: "Not imported yet.")),
                                Section(title: "Channels in this guide", intro: channels.count == 1000 ? "The first 1,000 by name." : nil,
                                        table: .simple(["Guide channel id", "Name", "Programmes", "From", "Until"], channels.map { c in
                                            Row(cells: [Cell(c.externalID, mono: true), Cell(c.displayName), Cell("\(c.programmeCount)"),
                                                        Cell(c.firstStart.map(ctx.dates.string) ?? "—"), Cell(c.lastStop.map(ctx.dates.string) ?? "—")], actions: [])
                                        }, empty: "No channel yet.")),
                                Section(title: "Settings", form: form ?? FormVM(heading: "", intro: nil, action: "/cms/epg/\(s.id!)", fields: fields(f),
                                                                                submitLabel: "Save guide", cancelHref: nil, formError: nil)),
                            ])
        return try await Layout.render(req, "sections", title: s.name, vm, status: status)
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let s = try await EPGSourceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let f = try req.content.decode(SourceForm.self)
        do {
            _ = try await EPGSourceService.save(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: s.id!, input: try input(f))
            req.flash(.success, "Guide saved.")
            return req.redirect(to: "/cms/epg/\(s.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = FormVM(heading: "", intro: nil, action: "/cms/epg/\(s.id!)", fields: fields(f), submitLabel: "Save guide", cancelHref: nil, formError: nil)
            vm.apply(e)
            return try await renderSource(req, ctx, s, form: vm, status: .unprocessableEntity)
        }
    }

    /// Queues a download and import (a worker on any node runs it).
    static func refresh(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let s = try await EPGSourceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        try await ctx.env.write { db in
            try await JobQueue.enqueue(on: db, kind: EPGImportService.jobKind, payload: EPGJobs.payload(sourceID: s.id!), runAt: ctx.env.now, now: ctx.env.now,
                                       maxAttempts: 3, deploymentID: ctx.deploymentID)
            try await AuditService.record(on: db, at: ctx.env.now, actor: ctx.actor, deploymentID: ctx.deploymentID, entityType: "epg_source", entityID: String(s.id!),
                                          action: "queue_import", after: ["url": s.url])
        }
        req.flash(.success, "Import of \(s.name) queued; its result appears under Runs (and in Jobs).")
        return req.redirect(to: "/cms/epg/\(s.id!)", redirectType: .normal)
    }

    /// Says what goes with the source before it goes.
    static func confirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let (s, impact) = try await EPGSourceService.impact(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let names = impact.linkedChannels.prefix(10).map { "\($0.number) \($0.name)" }.joined(separator: ", ") + (impact.linkedChannels.count > 10 ? ", …" : "")
        let linked = impact.linkedChannels.isEmpty ? "No channel is linked to it."
            : "\(impact.linkedChannels.count) linked channel(s) lose their guide and show none until linked again: \(names)."
        return try await Layout.render(req, "confirm", title: "Delete guide", ConfirmVM(
            heading: "Delete the guide \(s.name)?",
            message: "This deletes \(impact.programmes) programme(s) on \(impact.guideChannels) guide channel(s), its import history and its pending proposals. \(linked) Names you confirmed are kept.",
            action: "/cms/epg/\(s.id!)/delete", buttonLabel: "Delete guide", cancelHref: "/cms/epg/\(s.id!)"))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        let s = try await EPGSourceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        let impact = try await EPGSourceService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        req.flash(.success, "\(s.name) deleted with \(impact.programmes) programme(s); \(impact.linkedChannels.count) channel(s) no longer have a guide.")
        return req.redirect(to: "/cms/epg", redirectType: .normal)
    }

    struct Upload: Content { var file: File? }

    /// Imports an uploaded guide now: the file is on this node only, so it is not queued.
    static func upload(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let s = try await EPGSourceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        guard s.name != EPGBuilderService.sourceName else {
            req.flash(.error, "The EPG Builder's programmes are made by hand; upload guides into another source.")
            return req.redirect(to: "/cms/epg/\(s.id!)", redirectType: .normal)
        }
        guard let file = try req.content.decode(Upload.self).file, file.data.readableBytes > 0 else {
            req.flash(.error, "Choose an XMLTV file (.xml or .xml.gz).")
            return req.redirect(to: "/cms/epg/\(s.id!)", redirectType: .normal)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-epg-upload-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: path) }
        try Data(buffer: file.data).write(to: path)
        let r = try await EPGImportService.importFile(ctx.env, actor: ctx.actor, sourceID: s.id!, path: path.path)
        if r.status == "ok" { req.flash(.success, "Imported \(file.filename): \(r.message).") } else { req.flash(.error, "\(file.filename) was not imported: \(r.message)") }
        return req.redirect(to: "/cms/epg/\(s.id!)", redirectType: .normal)
    }
}
