import Services
import Vapor

/// The page every all-or-nothing import shows when it refuses a file: each problem by line and
/// column, and the upload form again.
enum ImportReport {
    static func refused(_ req: Request, errors: [CustomerBulkService.ImportError], filename: String, uploadAgain form: FormVM) async throws -> Response {
        let table = TableVM.simple(["Line", "Column", "Problem"], errors.prefix(500).map {
            Row(cells: [Cell(String($0.line), mono: true), Cell($0.column), Cell($0.message)], actions: [])
        }, empty: "")
        let vm = SectionsVM(heading: "Import refused", intro: "\(errors.count) problem(s) in \(filename). Nothing was imported; fix the file and upload it again."
                                + (errors.count > 500 ? " The first 500 are listed." : ""),
                            buttons: [], tabs: [], sections: [Section(title: nil, table: table), Section(title: "Upload again", form: form)])
        return try await Layout.render(req, "sections", title: "Import refused", vm, status: .unprocessableEntity)
    }
}
