import Domain
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the first worksheet of an .xlsx workbook into rows of text, enough for imports: shared
/// and inline strings, numbers (integers without a trailing ".0"), booleans. Refuses archives that
/// are not workbooks and caps the uncompressed size, so a zip bomb cannot exhaust memory.
public enum XLSXReader {
    public static let maxUncompressed = 50 * 1024 * 1024

    public static func rows(from data: Data) throws -> [(line: Int, fields: [String])] {
        let archive: Archive
        do { archive = try Archive(data: data, accessMode: .read) } catch {
            throw DomainError(.invalid, code: "not_xlsx", "The file is not an .xlsx workbook (not a zip archive).")
        }
        func read(_ path: String) throws -> Data? {
            guard let entry = archive[path] else { return nil }
            guard entry.uncompressedSize <= UInt64(maxUncompressed) else {
                throw DomainError(.invalid, code: "xlsx_too_large", "The workbook is too large to import (over 50 MB uncompressed).")
            }
            var out = Data()
            _ = try archive.extract(entry, skipCRC32: false) { out.append($0) }
            return out
        }
        guard let sheetPath = try firstSheetPath(read),
              let sheet = try read(sheetPath) else {
            throw DomainError(.invalid, code: "not_xlsx", "The workbook has no worksheet.")
        }
        let shared = try read("xl/sharedStrings.xml").map(SharedStringsParser.parse) ?? []
        return try SheetParser.parse(sheet, shared: shared)
    }

    /// The first sheet listed in the workbook (its relationship target), else sheet1.xml.
    static func firstSheetPath(_ read: (String) throws -> Data?) throws -> String? {
        guard let wb = try read("xl/workbook.xml"), let rels = try read("xl/_rels/workbook.xml.rels") else {
            return try read("xl/worksheets/sheet1.xml") != nil ? "xl/worksheets/sheet1.xml" : nil
        }
        let firstID = AttributeFinder.first(in: wb, element: "sheet", attribute: "r:id")
        let targets = AttributeFinder.all(in: rels, element: "Relationship", attributes: ["Id", "Target"])
        guard let id = firstID, let target = targets.first(where: { $0["Id"] == id })?["Target"] else {
            return "xl/worksheets/sheet1.xml"
        }
        return target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
    }
}

/// Collects attributes of elements (namespace prefixes kept as written).
final class AttributeFinder: NSObject, XMLParserDelegate {
    let element: String
    let attributes: [String]
    var found: [[String: String]] = []

    init(element: String, attributes: [String]) {
        self.element = element
        self.attributes = attributes
    }

    static func all(in data: Data, element: String, attributes: [String]) -> [[String: String]] {
        let f = AttributeFinder(element: element, attributes: attributes)
        let p = XMLParser(data: data)
        p.shouldResolveExternalEntities = false
        p.delegate = f
        p.parse()
        return f.found
    }

    static func first(in data: Data, element: String, attribute: String) -> String? {
        all(in: data, element: element, attributes: [attribute]).first?[attribute]
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes attrs: [String: String]) {
        guard name == element || name.hasSuffix(":" + element) else { return }
        var out: [String: String] = [:]
        for a in attributes { out[a] = attrs[a] }
        found.append(out)
    }
}

final class SharedStringsParser: NSObject, XMLParserDelegate {
    var strings: [String] = []
    var current = ""
    var inSI = false, inT = false

    static func parse(_ data: Data) throws -> [String] {
        let s = SharedStringsParser()
        let p = XMLParser(data: data)
        p.shouldResolveExternalEntities = false
        p.delegate = s
        guard p.parse() else { throw DomainError(.invalid, code: "bad_xlsx", "The workbook's text table is damaged.") }
        return s.strings
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        if name == "si" { inSI = true; current = "" }
        if name == "t" && inSI { inT = true }
        if name == "rPh" { inT = false } // phonetic runs are not part of the text
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inT { current += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "t" { inT = false }
        if name == "si" { strings.append(current); inSI = false }
    }
}

final class SheetParser: NSObject, XMLParserDelegate {
    let shared: [String]
    var rows: [(Int, [String])] = []
    var row: [Int: String] = [:]
    var rowNumber = 0
    var cellColumn = 0
    var cellType = ""
    var text = ""
    var capturing = false

    init(shared: [String]) { self.shared = shared }

    static func parse(_ data: Data, shared: [String]) throws -> [(line: Int, fields: [String])] {
        let s = SheetParser(shared: shared)
        let p = XMLParser(data: data)
        p.shouldResolveExternalEntities = false
        p.delegate = s
        guard p.parse() else { throw DomainError(.invalid, code: "bad_xlsx", "The worksheet is damaged: \(p.parserError?.localizedDescription ?? "unreadable XML").") }
        return s.rows.map { (line: $0.0, fields: $0.1) }
    }

    /// "C12" → column index 2.
    static func column(of ref: String) -> Int {
        var n = 0
        for ch in ref.uppercased() {
            guard let a = ch.asciiValue, a >= 65, a <= 90 else { break }
            n = n * 26 + Int(a - 64)
        }
        return max(0, n - 1)
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        switch name {
        case "row":
            row = [:]
            rowNumber = Int(attributes["r"] ?? "") ?? rowNumber + 1
        case "c":
            cellColumn = attributes["r"].map(SheetParser.column(of:)) ?? (row.keys.max().map { $0 + 1 } ?? 0)
            cellType = attributes["t"] ?? "n"
            text = ""
        case "v", "t":
            capturing = true
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if capturing { text += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "v", "t": capturing = false
        case "c":
            var value = text
            switch cellType {
            case "s": value = Int(text).flatMap { $0 < shared.count ? shared[$0] : nil } ?? ""
            case "b": value = text == "1" ? "true" : "false"
            case "n":
                if let d = Double(text), d == d.rounded(), abs(d) < 1e15 { value = String(Int64(d)) }
            default: break
            }
            row[cellColumn] = value
        case "row":
            let width = (row.keys.max() ?? -1) + 1
            let fields = (0..<width).map { row[$0] ?? "" }
            if fields.contains(where: { !$0.isEmpty }) { rows.append((rowNumber, fields)) }
        default: break
        }
    }
}
