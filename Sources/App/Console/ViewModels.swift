import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

// View models: the data a template needs, gathered in Swift. Templates only loop and print, so
// every link, label and state is decided (and testable) here.

struct FlashVM: Encodable { var kind: String; var message: String }

struct NavItem: Encodable {
    var label: String
    var href: String?
    var active: Bool
    /// Greyed out: the area is not built yet, or the role may not use it.
    var disabled: Bool
    /// Indented under the item before it (the manual's second level: Transcoders › CDN Hostnames).
    var sub: Bool = false
}

struct NavSection: Encodable { var title: String; var items: [NavItem] }

struct DeploymentOption: Encodable { var id: String; var name: String; var current: Bool }

struct LayoutVM: Encodable {
    var title: String
    var userName: String
    var userEmail: String
    var roleLabel: String
    var csrf: String
    var nav: [NavSection]
    var flashes: [FlashVM]
    var deploymentName: String?
    var deployments: [DeploymentOption]
    /// White labelling: the console's name, colours, logo and support contact for this request.
    var brand: BrandVM
}

struct PageVM<Body: Encodable>: Encodable {
    var layout: LayoutVM
    var page: Body
}

// MARK: Reusable patterns: table, form, confirm

struct Column: Encodable {
    var label: String
    var sortHref: String?
    /// "▲", "▼" or "" for the active sort column.
    var indicator: String
}

struct Cell: Encodable {
    var text: String
    var href: String?
    var badge: String?
    var mono: Bool
    /// A selection checkbox (`ids[]`) with this value, for bulk actions.
    var checkbox: String?
    /// A usage bar (0–100 %) shown before the text, e.g. a disk's used space.
    var meter: Int?
    /// Leaf treats a 0 % meter as false, so the template tests this instead.
    var hasMeter: Bool { meter != nil }
    /// Long prose (a health check's detail) that wraps instead of widening the table.
    var wrap: Bool = false
    init(_ text: String, href: String? = nil, badge: String? = nil, mono: Bool = false, checkbox: String? = nil, meter: Int? = nil, wrap: Bool = false) {
        self.text = text
        self.href = href
        self.badge = badge
        self.mono = mono
        self.checkbox = checkbox
        self.meter = meter.map { min(100, max(0, $0)) }
        self.wrap = wrap
    }

    enum CodingKeys: String, CodingKey { case text, href, badge, mono, checkbox, meter, hasMeter, wrap }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(text, forKey: .text)
        try c.encodeIfPresent(href, forKey: .href)
        try c.encodeIfPresent(badge, forKey: .badge)
        try c.encode(mono, forKey: .mono)
        try c.encodeIfPresent(checkbox, forKey: .checkbox)
        try c.encodeIfPresent(meter, forKey: .meter)
        try c.encode(hasMeter, forKey: .hasMeter)
        try c.encode(wrap, forKey: .wrap)
    }
}

/// Bulk actions over the rows ticked in a table (GET to `action` with `ids[]`), or over
/// everything the current filter matches (`allHref`).
struct BulkVM: Encodable {
    var action: String
    var buttonLabel: String
    var allHref: String
    var allLabel: String
}

struct RowAction: Encodable {
    var label: String
    var href: String?
    /// A POST button (with CSRF) instead of a link, for actions that need no confirmation.
    var postTo: String?
    var danger: Bool
}

struct Row: Encodable { var cells: [Cell]; var actions: [RowAction] }

struct FilterOption: Encodable { var value: String; var label: String; var selected: Bool }

struct Filter: Encodable {
    var name: String
    var label: String
    /// text, select or date
    var type: String
    var value: String
    var options: [FilterOption]
}

struct Pager: Encodable {
    var summary: String
    var prevHref: String?
    var nextHref: String?
}

struct Button: Encodable { var label: String; var href: String; var primary: Bool }

struct TableVM: Encodable {
    var heading: String
    var intro: String?
    var buttons: [Button]
    var filters: [Filter]
    var filterAction: String
    var columns: [Column]
    var rows: [Row]
    var emptyText: String
    var pager: Pager
    var bulk: BulkVM? = nil
}

struct FieldOption: Encodable { var value: String; var label: String; var selected: Bool }

struct Field: Encodable {
    var name: String
    var label: String
    /// text, email, password, select, checkboxes, textarea, number, checkbox
    var type: String
    var value: String
    var options: [FieldOption]
    var error: String?
    var help: String?
    var required: Bool
    var autocomplete: String?
    /// The element id its label points at.
    var domID: String

    init(_ name: String, _ label: String, type: String = "text", value: String = "", options: [FieldOption] = [],
         error: String? = nil, help: String? = nil, required: Bool = false, autocomplete: String? = nil) {
        self.name = name
        self.label = label
        self.type = type
        self.value = value
        self.options = options
        self.error = error
        self.help = help
        self.required = required
        self.autocomplete = autocomplete
        self.domID = "f-" + name
    }
}

struct FormVM: Encodable {
    var heading: String
    var intro: String?
    var action: String
    var fields: [Field]
    var submitLabel: String
    var cancelHref: String?
    var formError: String?
    /// File uploads need multipart/form-data.
    var multipart: Bool = false
    /// The submit button does something destructive.
    var danger: Bool = false
}

extension FormVM {
    /// Puts the service's per-field messages next to their fields.
    mutating func apply(_ error: DomainError) {
        formError = error.fields.isEmpty ? error.message : "Please correct the fields marked below."
        var shown = Set<String>()
        for i in fields.indices {
            let key = error.fields[fields[i].name] != nil ? fields[i].name : fields[i].name.replacingOccurrences(of: "[]", with: "")
            if let m = error.fields[key] {
                fields[i].error = fields[i].label + " " + m
                shown.insert(key)
            }
        }
        // A message about something without a field of its own (e.g. "prices") goes on top.
        let rest = error.fields.filter { !shown.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        if !rest.isEmpty { formError = (formError ?? "") + " " + rest.joined(separator: "; ") }
    }
}

struct ConfirmVM: Encodable {
    var heading: String
    var message: String
    var action: String
    var buttonLabel: String
    var cancelHref: String
}

struct SecretVM: Encodable {
    var heading: String
    var message: String
    var secret: String
    var details: [KeyValue]
    var continueHref: String
}

struct KeyValue: Encodable { var key: String; var value: String; var mono: Bool }

// MARK: Table state from the query string

/// Reads `sort`, `dir`, `page` and filter parameters and builds links that keep the others.
struct TableQuery {
    var path: String
    var params: [String: String]

    init(_ req: Request, path: String, filterNames: [String]) {
        self.path = path
        var p: [String: String] = [:]
        for name in ["sort", "dir", "page", "q"] + filterNames {
            if let v = req.query[String.self, at: name], !v.isEmpty { p[name] = v }
        }
        params = p
    }

    var listRequest: ListRequest {
        var filters = params
        for k in ["sort", "dir", "page", "q"] { filters[k] = nil }
        return ListRequest(sort: params["sort"], descending: params["dir"] == "desc",
                           page: Int(params["page"] ?? "1") ?? 1, perPage: 25,
                           search: params["q"] ?? "", filters: filters)
    }

    func href(_ changes: [String: String?]) -> String {
        var p = params
        for (k, v) in changes { p[k] = v }
        let query = p.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        return query.isEmpty ? path : path + "?" + query.joined(separator: "&")
    }

    /// A header that sorts by `key`, flipping direction when it is already the sort column.
    func column(_ label: String, key: String?, defaultKey: String) -> Column {
        guard let key else { return Column(label: label, sortHref: nil, indicator: "") }
        let current = params["sort"] ?? defaultKey
        let desc = params["dir"] == "desc"
        let active = current == key
        return Column(label: label, sortHref: href(["sort": key, "dir": active && !desc ? "desc" : "asc", "page": nil]),
                      indicator: active ? (desc ? "▼" : "▲") : "")
    }

    func pager<T>(_ result: PageResult<T>, noun: String) -> Pager {
        let first = result.total == 0 ? 0 : (result.page - 1) * result.perPage + 1
        let last = min(result.total, result.page * result.perPage)
        return Pager(summary: "\(first)–\(last) of \(result.total) \(noun)",
                     prevHref: result.page > 1 ? href(["page": String(result.page - 1)]) : nil,
                     nextHref: result.page < result.pageCount ? href(["page": String(result.page + 1)]) : nil)
    }
}

/// Dates in the console are shown in the current deployment's zone (UTC when none), with the
/// zone's abbreviation so nobody has to guess.
struct DateDisplay {
    let formatter: DateFormatter

    init(timeZone: String?) {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_GB")
        f.timeZone = timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm zzz"
        formatter = f
    }

    func string(_ date: Date?) -> String { date.map(formatter.string(from:)) ?? "—" }

    /// "2026-11-25" in the same zone.
    func dateString(_ date: Date) -> String { String(formatter.string(from: date).prefix(10)) }
}

// MARK: Detail pages: tabs and stacked sections

struct Tab: Encodable { var label: String; var href: String; var active: Bool }

struct Download: Encodable { var label: String; var filename: String; var href: String }

/// One block of a details page: any mix of facts, a table and a form.
struct Section: Encodable {
    var title: String?
    /// A warning shown prominently at the top of the block (e.g. "3 channels down").
    var alert: String? = nil
    var intro: String? = nil
    var details: [KeyValue] = []
    var table: TableVM? = nil
    var form: FormVM? = nil
    /// A secret shown once (new credentials).
    var secret: String? = nil
    var download: Download? = nil
    /// A row of buttons (POST with CSRF) or links.
    var actions: [RowAction] = []
    /// A line chart drawn as inline SVG.
    var chart: ChartVM? = nil
    /// Images shown as previews (branding).
    var images: [ImagePreview] = []
    /// The EPG guide grid (inline SVG), under the actions.
    var grid: GuideGridVM? = nil
}

struct ImagePreview: Encodable { var label: String; var src: String; var caption: String }

struct SectionsVM: Encodable {
    var heading: String
    var intro: String?
    var buttons: [Button]
    var tabs: [Tab]
    var sections: [Section]

    init(heading: String, intro: String?, buttons: [Button], tabs: [Tab], sections: [Section]) {
        self.heading = heading
        self.intro = intro
        self.buttons = buttons
        self.tabs = tabs
        // Several forms on one page: give each field an id of its own so every label points at
        // its own input.
        var s = sections
        for i in s.indices where s[i].form != nil {
            for j in s[i].form!.fields.indices { s[i].form!.fields[j].domID = "f\(i)-\(s[i].form!.fields[j].name)" }
        }
        self.sections = s
    }
}

extension TableVM {
    /// A plain table inside a section: no filters, no pager.
    static func simple(_ columns: [String], _ rows: [Row], empty: String) -> TableVM {
        TableVM(heading: "", intro: nil, buttons: [], filters: [], filterAction: "",
                columns: columns.map { Column(label: $0, sortHref: nil, indicator: "") }, rows: rows,
                emptyText: empty, pager: Pager(summary: "", prevHref: nil, nextHref: nil))
    }
}
