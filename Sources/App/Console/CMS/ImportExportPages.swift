import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Import/Export: channels, movies and series to and from CSV and Excel, each with one
/// column layout that round-trips, checked whole before anything is applied.
enum ImportExportPages {
    static func register(_ console: any RoutesBuilder) {
        let hub = console.grouped("cms", "import-export").grouped(RequirePermission(permission: .cms))
        hub.get(use: page)
        for sheet in [VoDImport.Sheet.movies, .series] {
            let c = console.grouped("cms", PathComponent(stringLiteral: sheet.rawValue)).grouped(RequirePermission(permission: .cms))
            c.get("export.csv") { try await export($0, sheet, excel: false) }
            c.get("export.xlsx") { try await export($0, sheet, excel: true) }
            c.get("import") { try await importForm($0, sheet) }
            c.on(.POST, "import", body: .collect(maxSize: "20mb")) { try await importFile($0, sheet) }
        }
    }

    static func page(_ req: Request) async throws -> Response {
        _ = try await req.cms()
        let rows = [("Channels", "/cms/channels", "number", "Matched by channel number."),
                    ("Movies", "/cms/movies", "external_id, or title and year", "Pictures from cover_url / image_url (http or https)."),
                    ("Series", "/cms/series", "series title, season and episode numbers", "One row per series, season and episode.")].map { name, base, key, note in
            Row(cells: [Cell(name, href: base), Cell(key), Cell(note)],
                actions: [RowAction(label: "Export (CSV)", href: "\(base)/export.csv", postTo: nil, danger: false),
                          RowAction(label: "Export (Excel)", href: "\(base)/export.xlsx", postTo: nil, danger: false),
                          RowAction(label: "Import", href: "\(base)/import", postTo: nil, danger: false)])
        }
        let vm = SectionsVM(heading: "Import/Export", intro: "Export, edit in a spreadsheet, import again: an export imported unchanged changes nothing. Every row is checked before anything is saved; if one is wrong, nothing is imported and each problem is listed by line and column.",
                            buttons: [], tabs: [], sections: [Section(title: nil, table: .simple(["Content", "Rows are matched by", "Notes"], rows, empty: ""))])
        return try await Layout.render(req, "sections", title: "Import/Export", vm)
    }

    static func export(_ req: Request, _ sheet: VoDImport.Sheet, excel: Bool) async throws -> Response {
        let ctx = try await req.cms()
        return try download(try await VoDImport.exportRows(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, sheet: sheet), name: sheet.rawValue, excel: excel)
    }

    /// An export as a CSV (UTF-8) or Excel download.
    static func download(_ rows: [[String]], name: String, excel: Bool) throws -> Response {
        let response: Response
        if excel {
            response = Response(status: .ok, body: .init(data: try XLSXWriter.workbook(sheetName: name, rows: rows)))
            response.headers.contentType = HTTPMediaType(type: "application", subType: "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else {
            response = Response(status: .ok, body: .init(string: rows.map { CSV.line($0) + "\r\n" }.joined()))
            response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        }
        response.headers.contentDisposition = .init(.attachment, filename: "\(name).\(excel ? "xlsx" : "csv")")
        return response
    }

    static func importVM(_ sheet: VoDImport.Sheet, error: String? = nil) -> FormVM {
        let how = sheet == .movies
            ? "Rows are matched by external_id, or by title and year when it is empty: a match updates that movie, anything else adds one."
            : "A row with season and episode empty is a series; with a season number, that season of the series; with both, that episode. Rows are matched by series title and numbers; a season or episode may follow its series in the same file."
        return FormVM(heading: "Import \(sheet.rawValue)",
                      intro: "CSV (UTF-8) or Excel (.xlsx) with a header row: \(VoDImport.header(sheet).joined(separator: ", ")). \(sheet == .movies ? "Only title is required" : "Only series, season, episode and title are required"); a column you leave out keeps each item's value. \(how) Prices are written “EUR 3.99; USD 4.49”; pictures are fetched from http(s) URLs (PNG, JPEG or WebP, at most 2 MiB, the right ratio). Every row is checked first; if any is wrong nothing is imported.",
                      action: "/cms/\(sheet.rawValue)/import", fields: [Field("file", "File", type: "file", required: true)],
                      submitLabel: "Check and import", cancelHref: "/cms/\(sheet.rawValue)", formError: error, multipart: true)
    }

    static func importForm(_ req: Request, _ sheet: VoDImport.Sheet) async throws -> Response {
        _ = try await req.cms()
        return try await Layout.render(req, "form", title: "Import \(sheet.rawValue)", importVM(sheet))
    }

    struct Upload: Content { var file: File? }

    static func importFile(_ req: Request, _ sheet: VoDImport.Sheet) async throws -> Response {
        let ctx = try await req.cms()
        guard let file = try req.content.decode(Upload.self).file, file.data.readableBytes > 0 else {
            return try await Layout.render(req, "form", title: "Import \(sheet.rawValue)", importVM(sheet, error: "Choose a CSV or .xlsx file."), status: .unprocessableEntity)
        }
        do {
            let rows = try CustomerBulkService.readUpload(filename: file.filename, data: Data(buffer: file.data))
            let result = try await VoDImport.importRows(ctx.env, http: req.outboundHTTP, actor: ctx.actor, deploymentID: ctx.deploymentID, sheet: sheet, rows: rows)
            if !result.errors.isEmpty {
                return try await ImportReport.refused(req, errors: result.errors, filename: file.filename, uploadAgain: importVM(sheet))
            }
            req.flash(.success, "Imported: \(result.created) added, \(result.updated) updated, \(result.unchanged) unchanged.")
            return req.redirect(to: "/cms/\(sheet.rawValue)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await Layout.render(req, "form", title: "Import \(sheet.rawValue)", importVM(sheet, error: e.message), status: .unprocessableEntity)
        }
    }
}
