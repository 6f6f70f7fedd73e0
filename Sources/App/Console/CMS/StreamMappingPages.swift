import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Transcoders › FLS Mapping and FLS Config (one page under two names: which stream on
/// which server a channel plays from, and how deep that stream's archive is), and FLS Health.
enum StreamMappingPages {
    static func register(_ console: any RoutesBuilder) {
        let t = console.grouped("cms", "transcoders").grouped(RequirePermission(permission: .cms))
        t.get("mappings") { try await list($0, config: false) }
        t.get("config") { try await list($0, config: true) }
        t.get("mappings", ":channel", use: channelPage)
        t.post("mappings", ":channel", use: map)
        t.post("mappings", ":channel", "clear", use: clear)
        t.get("health", use: health)
        t.post("health", "run", use: runChecks)
        t.get("health", ":kind", ":id", use: history)
    }

    // MARK: FLS Mapping / FLS Config

    static func depthText(_ m: StreamMappingModel, _ server: TranscoderModel?) -> String {
        m.dvrDepthDays > 0 ? "\(m.dvrDepthDays) d" : "\(server?.dvrDepthDays ?? 0) d (server's)"
    }

    /// One row per channel, keyset-paged by number like the channel list, so thousands of
    /// channels cost the same per page.
    static func list(_ req: Request, config: Bool) async throws -> Response {
        let ctx = try await req.cms()
        let path = config ? "/cms/transcoders/config" : "/cms/transcoders/mappings"
        let (channels, more, isFirstPage, search) = try await ChannelsController.page(req, ctx)
        let ids = channels.compactMap(\.id)
        let mappings = ids.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: try await StreamMappingModel.query(on: req.db)
            .filter(\.$deploymentID == ctx.deploymentID).filter(\.$channelID ~~ ids).all().map { ($0.channelID, $0) })
        let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let byID = Dictionary(uniqueKeysWithValues: servers.map { ($0.id!, $0) })
        let mapped = try await StreamMappingModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).count()
        let total = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).count()
        let tq = TableQuery(req, path: path, filterNames: ["after", "before"])
        let rows = channels.map { c -> Row in
            let href = "/cms/transcoders/mappings/\(c.id!)"
            guard let m = mappings[c.id!] else {
                return Row(cells: [Cell(String(c.number)), Cell(c.name, href: href), Cell(c.catchupDays == 0 ? "—" : "\(c.catchupDays) d"),
                                   Cell("not mapped", badge: "muted"), Cell(""), Cell(""), Cell("")],
                           actions: [RowAction(label: "Map", href: href, postTo: nil, danger: false)])
            }
            let server = byID[m.transcoderID]
            return Row(cells: [Cell(String(c.number)), Cell(c.name, href: href), Cell(c.catchupDays == 0 ? "—" : "\(c.catchupDays) d"),
                               Cell(server?.name ?? "?"), Cell(m.streamName, mono: true), Cell(depthText(m, server)), DeliveryConsole.statusCell(m.status)],
                       actions: [RowAction(label: "Edit", href: href, postTo: nil, danger: false),
                                 RowAction(label: "Clear", href: nil, postTo: "/cms/transcoders/mappings/\(c.id!)/clear", danger: true)])
        }
        let heading = config ? "FLS Config" : "FLS Mapping"
        let intro = "Which stream on which streaming server each channel plays from, and how many days of archive that stream keeps (FLS Config: the same page). "
            + "A channel may offer at most as many catch-up days as its stream's archive holds. \(mapped) of \(total) channel(s) mapped."
        let table = TableVM(heading: "", intro: nil, buttons: [],
                            filters: [Filter(name: "q", label: "Name, number or tag", type: "text", value: search, options: [])], filterAction: path,
                            columns: ["No.", "Channel", "Catch-up", "Server", "Stream", "DVR depth", "Status"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: search.isEmpty ? "No channel yet." : "No channel matches.",
                            pager: Pager(summary: "\(rows.count) shown, by number",
                                         prevHref: isFirstPage ? nil : tq.href(["after": nil, "before": channels.first.map { String($0.number) }]),
                                         nextHref: more ? tq.href(["before": nil, "after": channels.last.map { String($0.number) }]) : nil))
        let vm = SectionsVM(heading: heading, intro: intro, buttons: DeliveryConsole.buttons, tabs: [],
                            sections: servers.isEmpty ? [Section(title: nil, alert: "Add a transcoder first: channels are mapped to a stream on one."), Section(title: nil, table: table)]
                                                      : [Section(title: nil, table: table)])
        return try await Layout.render(req, "sections", title: heading, vm)
    }

    struct MapForm: Content { var transcoderID: String?; var streamName: String?; var dvrDepthDays: String? }

    /// A stream name to start from: the address's path without its playlist file, as
    /// Flussonic names streams (`https://edge/sport/hd/index.m3u8` → `sport/hd`).
    static func suggestedStream(_ c: ChannelModel) -> String {
        let address = c.hlsURL.isEmpty ? c.dashURL : c.hlsURL
        var parts = (URL(string: address)?.path ?? address).split(separator: "/").map(String.init)
        if parts.count > 1, parts.last?.contains(".") == true { parts.removeLast() }
        return parts.joined(separator: "/")
    }

    static func channelPage(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("channel", as: Int.self))
        let m = try await StreamMappingModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$channelID == c.id!).first()
        let f = m.map { MapForm(transcoderID: String($0.transcoderID), streamName: $0.streamName, dvrDepthDays: String($0.dvrDepthDays)) }
            ?? MapForm(transcoderID: nil, streamName: suggestedStream(c), dvrDepthDays: "0")
        return try await renderChannel(req, ctx, c, mapping: m, form: f, error: nil)
    }

    static func renderChannel(_ req: Request, _ ctx: CRMContext, _ c: ChannelModel, mapping m: StreamMappingModel?, form f: MapForm, error: DomainError?) async throws -> Response {
        let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let server = m.flatMap { m in servers.first { $0.id == m.transcoderID } }
        var details = [KeyValue(key: "Channel", value: "\(c.number) \(c.name)", mono: false),
                       KeyValue(key: "Catch-up days", value: "\(c.catchupDays)", mono: false),
                       KeyValue(key: "HLS URL", value: c.hlsURL.isEmpty ? "—" : c.hlsURL, mono: true)]
        if let m {
            details += [KeyValue(key: "Mapped to", value: "\(server?.name ?? "?") · \(m.streamName) · archive \(depthText(m, server))", mono: false),
                        KeyValue(key: "Status", value: m.status + " — " + DeliveryConsole.checked(m.statusDetail, m.checkedAt, ctx), mono: false)]
        }
        var actions = [RowAction(label: "Edit channel", href: "/cms/channels/\(c.id!)", postTo: nil, danger: false)]
        if m != nil {
            actions.append(RowAction(label: "History", href: "/cms/transcoders/health/channel/\(c.id!)", postTo: nil, danger: false))
            actions.append(RowAction(label: "Clear mapping", href: nil, postTo: "/cms/transcoders/mappings/\(c.id!)/clear", danger: true))
        }
        var form = FormVM(heading: "", intro: servers.isEmpty ? "Add a transcoder first." : nil, action: "/cms/transcoders/mappings/\(c.id!)", fields: [
            Field("transcoderID", "Transcoder", type: "select", options: servers.map {
                FieldOption(value: String($0.id!), label: "\($0.name) (archive \($0.dvrDepthDays) d)", selected: String($0.id!) == f.transcoderID) }),
            Field("streamName", "Stream name on the server", value: f.streamName ?? "", help: "As the server names it, e.g. city-news (no spaces, ? or #).", required: true),
            Field("dvrDepthDays", "DVR depth (days)", type: "number", value: f.dvrDepthDays ?? "0",
                  help: "How many days of archive this stream keeps; 0 = the server's depth. Must be at least the channel's catch-up days (\(c.catchupDays))."),
        ], submitLabel: m == nil ? "Map channel" : "Save mapping", cancelHref: "/cms/transcoders/mappings?after=\(c.number - 1)", formError: nil)
        if let error { form.apply(error) }
        let vm = SectionsVM(heading: "FLS Mapping — \(c.number) \(c.name)", intro: nil, buttons: [DeliveryConsole.buttons[3]], tabs: [], sections: [
            Section(title: nil, details: details, actions: actions),
            Section(title: m == nil ? "Map to a stream" : "Mapping", form: form),
        ])
        return try await Layout.render(req, "sections", title: "FLS Mapping — \(c.name)", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func map(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("channel", as: Int.self))
        let f = try req.content.decode(MapForm.self)
        do {
            var errors = FieldErrors()
            let depth = DeliveryConsole.int(f.dvrDepthDays, "dvrDepthDays", empty: 0, into: &errors)
            guard let server = Int(f.transcoderID ?? "") else { throw DomainError.validation(["transcoderID": "choose the streaming server"]) }
            try errors.throwIfAny()
            let m = try await DeliverySettingsService.map(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, channelID: c.id!, transcoderID: server,
                                                          streamName: f.streamName ?? "", dvrDepthDays: depth)
            req.flash(.success, "\(c.number) \(c.name) plays from the stream \(m.streamName).")
            return req.redirect(to: "/cms/transcoders/mappings?after=\(c.number - 1)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            let m = try await StreamMappingModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$channelID == c.id!).first()
            return try await renderChannel(req, ctx, c, mapping: m, form: f, error: e)
        }
    }

    static func clear(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("channel", as: Int.self))
        try await DeliverySettingsService.unmap(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, channelID: c.id!)
        req.flash(.success, "The mapping of \(c.number) \(c.name) is cleared.")
        return req.redirect(to: "/cms/transcoders/mappings?after=\(c.number - 1)", redirectType: .normal)
    }

    // MARK: FLS Health

    static let channelsPerPage = 100

    static func health(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let byID = Dictionary(uniqueKeysWithValues: servers.map { ($0.id!, $0) })
        let hosts = try await DeliverySettingsService.cdnHostnames(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        func mapped() -> QueryBuilder<StreamMappingModel> {
            StreamMappingModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID)
                .join(ChannelModel.self, on: \StreamMappingModel.$channelID == \ChannelModel.$id)
        }
        func channelRow(_ m: StreamMappingModel) throws -> Row {
            let c = try m.joined(ChannelModel.self)
            return Row(cells: [Cell("\(c.number) \(c.name)", href: "/cms/transcoders/mappings/\(m.channelID)"), Cell(byID[m.transcoderID]?.name ?? "?"),
                               Cell(m.streamName, wrap: true), DeliveryConsole.statusCell(m.status), DeliveryConsole.checkedCell(m.statusDetail, m.checkedAt, ctx)],
                       actions: [RowAction(label: "History", href: "/cms/transcoders/health/channel/\(m.channelID)", postTo: nil, danger: false)])
        }
        let downCount = try await mapped().filter(\.$status == "down").count()
        let down = try await mapped().filter(\.$status == "down").sort(ChannelModel.self, \.$number).limit(500).all().map(channelRow)
        // The rest (up or not checked yet), by number, a page at a time.
        let others = try await mapped().filter(\.$status != "down").count()
        let page = max(1, req.query[Int.self, at: "page"] ?? 1)
        let pageRows = try await mapped().filter(\.$status != "down").sort(ChannelModel.self, \.$number)
            .offset((page - 1) * channelsPerPage).limit(channelsPerPage).all().map(channelRow)
        let serverRows = servers.map { t in
            Row(cells: [Cell(t.name, href: "/cms/transcoders/\(t.id!)"), Cell(t.apiURL.isEmpty ? t.baseURL : t.apiURL, mono: true), DeliveryConsole.statusCell(t.enabled ? t.status : "disabled"),
                        DeliveryConsole.checkedCell(t.statusDetail, t.checkedAt, ctx)],
                actions: [RowAction(label: "History", href: "/cms/transcoders/health/transcoder/\(t.id!)", postTo: nil, danger: false)])
        }
        let hostRows = hosts.map { c in
            Row(cells: [Cell(c.baseURL, href: "/cms/transcoders/cdn/\(c.id!)"), DeliveryConsole.statusCell(c.enabled ? c.status : "disabled"), DeliveryConsole.checkedCell(c.statusDetail, c.checkedAt, ctx)],
                actions: [RowAction(label: "History", href: "/cms/transcoders/health/cdn/\(c.id!)", postTo: nil, danger: false)])
        }
        let serversDown = servers.filter { $0.enabled && $0.status == "down" }.count
        let hostsDown = hosts.filter { $0.enabled && $0.status == "down" }.count
        let summary = [downCount > 0 ? "\(downCount) channel\(downCount == 1 ? "" : "s") down" : nil,
                       serversDown > 0 ? "\(serversDown) transcoder\(serversDown == 1 ? "" : "s") down" : nil,
                       hostsDown > 0 ? "\(hostsDown) CDN hostname\(hostsDown == 1 ? "" : "s") down" : nil].compactMap { $0 }
        let columns = ["Channel", "Transcoder", "Stream", "Status", "Last check"]
        var sections = [Section(title: nil, alert: summary.isEmpty ? nil : summary.joined(separator: " · "),
                                intro: summary.isEmpty && others + servers.count + hosts.count > 0 ? "Nothing is down at the last check." : nil,
                                actions: [RowAction(label: "Check now", href: nil, postTo: "/cms/transcoders/health/run", danger: false)])]
        if downCount > 0 {
            sections.append(Section(title: "Channels down", intro: (downCount > 500 ? "The first 500 by number. " : "") + "Players are sent to these channels' fallback address first.",
                                    table: .simple(columns, down, empty: "")))
        }
        sections.append(Section(title: "Transcoders", table: .simple(["Transcoder", "Checked address", "Status", "Last check"], serverRows, empty: "No transcoder yet.")))
        sections.append(Section(title: "CDN hostnames", table: .simple(["Hostname", "Status", "Last check"], hostRows, empty: "No CDN hostname.")))
        var channelTable = TableVM.simple(columns, pageRows, empty: downCount > 0 ? "Every mapped channel is down." : "No channel is mapped yet (FLS Mapping).")
        let pages = max(1, (others + channelsPerPage - 1) / channelsPerPage)
        channelTable.pager = Pager(summary: "", prevHref: page > 1 ? "/cms/transcoders/health?page=\(page - 1)" : nil,
                                   nextHref: page < pages ? "/cms/transcoders/health?page=\(page + 1)" : nil)
        sections.append(Section(title: downCount > 0 ? "Other mapped channels" : "Mapped channels",
                                intro: others > channelsPerPage ? "\(others) channels by number, page \(page) of \(pages)." : nil, table: channelTable))
        let vm = SectionsVM(heading: "FLS Health",
                            intro: "Every minute each enabled transcoder's API, each CDN hostname and each mapped channel's live playlist is checked: a channel is up when its playlist answers, parses and its newest segment is fresh.",
                            buttons: DeliveryConsole.buttons, tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "FLS Health", vm)
    }

    /// Runs one round now for this deployment (the scheduled job does the same every minute).
    static func runChecks(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let r = try await StreamHealthService.run(ctx.env, http: req.outboundHTTP, deploymentID: ctx.deploymentID)
        if r.down > 0 { req.flash(.error, "Checked \(r.checked): \(r.down) down.") } else { req.flash(.success, "Checked \(r.checked): all up.") }
        return req.redirect(to: "/cms/transcoders/health", redirectType: .normal)
    }

    static func history(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let kind = try req.parameters.require("kind")
        let id = try req.parameters.require("id", as: Int.self)
        let name: String, back: String
        switch kind {
        case "transcoder":
            let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            name = "Transcoder \(t.name)"; back = "/cms/transcoders/\(id)"
        case "cdn":
            guard let c = try await DeliverySettingsService.cdnHostnames(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).first(where: { $0.id == id }) else {
                throw DomainError.notFound("The CDN hostname")
            }
            name = "CDN hostname \(c.baseURL)"; back = "/cms/transcoders/cdn/\(id)"
        case "channel":
            let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            name = "Channel \(c.number) \(c.name)"; back = "/cms/transcoders/mappings/\(id)"
        default:
            throw DomainError.notFound("The health check target")
        }
        let checks = try await StreamHealthService.history(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, kind: kind, id: id)
        let rows = checks.map { c in
            Row(cells: [Cell(ctx.dates.string(c.at)), DeliveryConsole.statusCell(c.ok ? "up" : "down"), Cell(c.httpStatus == 0 ? "—" : "\(c.httpStatus)"),
                        Cell("\(c.latencyMS) ms"), Cell(c.segmentAgeSeconds < 0 ? "—" : "\(c.segmentAgeSeconds) s"), Cell(c.detail)], actions: [])
        }
        let vm = SectionsVM(heading: "Health history — \(name)", intro: "The last \(checks.count) check(s), newest first (checks are kept \(StreamHealthService.historyDays) days).",
                            buttons: [Button(label: "FLS Health", href: "/cms/transcoders/health", primary: false), Button(label: "Back", href: back, primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["Checked", "Result", "HTTP", "Latency", "Segment age", "Detail"], rows, empty: "Not checked yet."))])
        return try await Layout.render(req, "sections", title: "Health history", vm)
    }
}
